package main

import (
	"fmt"
	"io"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
)

// version is set at build time with -ldflags "-X main.version=v1.2.3" (make
// build sets it from git describe); it wins over what the build info says.
var version = ""

// readBuildInfo is debug.ReadBuildInfo; tests replace it.
var readBuildInfo = debug.ReadBuildInfo

// toolVersion is the version the version command prints and the User-Agent
// and the export manifest carry.
func toolVersion() string { return buildVersion(version, readBuildInfo).Version }

// buildStamp is what a binary knows about the source it was built from.
type buildStamp struct {
	Version  string // "v1.2.3", a pseudo-version, "dev-<revision>[+dirty]", or "dev"
	Revision string // the VCS commit, when the build recorded one
	Time     string // the commit's time (RFC 3339)
	Modified bool   // built from a work tree with uncommitted changes
	Go       string // the toolchain
}

// buildVersion reads the stamp: the -ldflags version first, then the
// module's version (go install module@v1.2.3, or the pseudo-version go
// build derives from VCS), then the VCS revision the build recorded (a
// "(devel)" build), else "dev".
func buildVersion(ldflags string, read func() (*debug.BuildInfo, bool)) buildStamp {
	s := buildStamp{Version: ldflags}
	bi, ok := read()
	if ok {
		s.Go = bi.GoVersion
		for _, kv := range bi.Settings {
			switch kv.Key {
			case "vcs.revision":
				s.Revision = kv.Value
			case "vcs.time":
				s.Time = kv.Value
			case "vcs.modified":
				s.Modified = kv.Value == "true"
			}
		}
	}
	switch {
	case s.Version != "":
	case ok && bi.Main.Version != "" && bi.Main.Version != "(devel)":
		s.Version = bi.Main.Version
	case s.Revision != "":
		s.Version = "dev-" + s.Revision[:min(len(s.Revision), 12)]
		if s.Modified {
			s.Version += "+dirty"
		}
	default:
		s.Version = "dev"
	}
	return s
}

func newVersionCmd(g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version of partnero-etl",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			s := buildVersion(version, readBuildInfo)
			var b strings.Builder
			fmt.Fprintf(&b, "partnero-etl %s\n", s.Version)
			if s.Revision != "" {
				fmt.Fprintf(&b, "revision: %s", s.Revision)
				if s.Time != "" {
					fmt.Fprintf(&b, " (%s)", s.Time)
				}
				if s.Modified {
					b.WriteString(", with uncommitted changes")
				}
				b.WriteString("\n")
			}
			if s.Go != "" {
				fmt.Fprintf(&b, "go: %s\n", s.Go)
			}
			_, err := io.WriteString(g.io.Out, b.String())
			return err
		},
	}
}

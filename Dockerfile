# A small image for running partnero-etl in a scheduler (Kubernetes CronJob,
# ECS scheduled task, Cloud Run job): a static binary, CA certificates for
# HTTPS to the API and the buckets, and a non-root user.
#
#   docker build -t partnero-etl .
#   docker run --rm -e PARTNERO_API_KEY partnero-etl ping
#
# The version is stamped like a release build's:
#   docker build --build-arg VERSION=v1.2.3 -t partnero-etl:v1.2.3 .

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" \
      -o /out/partnero-etl ./cmd/partnero-etl

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/partnero-etl /usr/local/bin/partnero-etl
# distroless/static carries CA certificates and tzdata (IANA zones, which
# mappings with a zone setting need) and runs as uid 65532.
USER nonroot:nonroot
WORKDIR /home/nonroot
ENTRYPOINT ["/usr/local/bin/partnero-etl"]

// Package migrate is the migration job: it moves a program from another
// affiliate platform into Partnero as three imports (partners, then
// customers, then transactions), joined by the old platform's ids. It holds
// the plan file's parser, the Join that carries identities across the
// stages, and the combined MigrationReport.
package migrate

// Package archtest holds no code: its tests check the shape of the whole
// module, the rules docs/architecture.md states (one job per package, no
// type with more than 25 methods outside the ledger, no package over 3,000
// lines, dependencies pointing down, front ends over the node facade only),
// so a change that breaks them fails `make test` instead of a review.
package archtest

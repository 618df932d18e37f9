// Package node is the node facade of QKD Chat, the only API the front ends
// use: it opens a data directory, listens, connects and reconnects, keeps
// the contacts, sends, and streams the node's events; Node.Clinic is the
// telehealth workflow and Node.Auditor (package node/audit) the ledger's
// verify, export and prove. It composes the packages that do the work:
// store (state.db), session (one peer: keys, chat, checkpoints), delivery
// (the outbox, exactly once), telehealth (the workflow's rules), ledger
// and identity. Package ui renders its events and the headless CLI
// (package cli) prints them. It never imports Fyne.
package node

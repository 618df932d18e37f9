package files

import "qkdchat/node"

// Label is how an attachment is named everywhere: "chest-xray.png · 5.0 MB".
func Label(a node.AttachmentInfo) string { return a.Name + " · " + node.HumanSize(a.Size) }

// Progress is a transfer's progress in human units: "1.5 MB of 5.0 MB".
func Progress(done, total int64) string {
	if done >= total {
		return node.HumanSize(total)
	}
	return node.HumanSize(done) + " of " + node.HumanSize(total)
}

// TransferRow is what a transfer's progress row shows: the fraction done
// (1 when total is unknown or zero) and its status, "1.5 MB of 5.0 MB"
// while it runs and "done · 5.0 MB" once done reaches total.
func TransferRow(done, total int64) (fraction float64, status string) {
	fraction = 1.0
	if total > 0 {
		fraction = float64(done) / float64(total)
	}
	if done >= total {
		return fraction, "done · " + node.HumanSize(total)
	}
	return fraction, Progress(done, total)
}

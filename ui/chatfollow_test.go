package ui

import (
	"fmt"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"qkdchat/node"
	"qkdchat/nodetest"
	"qkdchat/ui/widgets"
)

// TestChatStaysOnNewestMessage: a conversation scrolled to its newest
// message stays there when the window shrinks to 800x600 or grows back;
// one the user scrolled up in stays where the user left it.
func TestChatStaysOnNewestMessage(t *testing.T) {
	a := test.NewTempApp(t)
	n, dir := nodetest.New(t, "Ann", node.RolePatient, node.BB84Settings{})
	th := &Thread{}
	s, w := newTestShell(t, a, n, dir, th)
	const bob = "b0b0"
	t0 := time.Date(2026, 1, 2, 10, 0, 0, 0, time.UTC)
	atBottom := func() (bool, float32) {
		l := s.chat.list
		off := l.GetScrollOffset()
		l.ScrollToBottom()
		bottom := l.GetScrollOffset()
		l.ScrollToOffset(off)
		return off >= bottom-1, bottom - off
	}
	th.Run(func() {
		s.ShowTab(TabChat)
		s.names[bob] = "Bob"
		for i := range 60 {
			s.fileMessage(&node.Message{ID: fmt.Sprint(i), Epoch: 1, Kind: "chat", Text: fmt.Sprintf("message number %d", i),
				Time: t0, From: bob, FromName: "Bob", To: n.Fingerprint()}, widgets.StateSent)
		}
		s.selectConversation(convKey{Peer: bob})
		if ok, gap := atBottom(); !ok {
			t.Fatalf("the conversation opens %v px above its newest message", gap)
		}
		for _, size := range []fyne.Size{fyne.NewSize(800, 600), fyne.NewSize(1400, 900), fyne.NewSize(800, 600)} {
			w.Resize(size)
			if ok, gap := atBottom(); !ok {
				t.Errorf("at %v the chat is %v px above its newest message", size, gap)
			}
		}
		s.chat.list.ScrollToTop()
		w.Resize(fyne.NewSize(1000, 700))
		if off := s.chat.list.GetScrollOffset(); off != 0 {
			t.Errorf("a chat scrolled to the top moved to %v on resize", off)
		}
	})
}

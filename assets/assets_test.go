package assets

import (
	"bytes"
	"image/png"
	"testing"
)

func TestIconIsAValidSquarePNG(t *testing.T) {
	img, err := png.Decode(bytes.NewReader(Icon().Content()))
	if err != nil {
		t.Fatalf("decode embedded icon: %v", err)
	}
	b := img.Bounds()
	if b.Dx() != b.Dy() || b.Dx() < 256 {
		t.Fatalf("icon is %dx%d, want a square of at least 256 px", b.Dx(), b.Dy())
	}
}

func TestIconSVGIsSVG(t *testing.T) {
	if !bytes.Contains(IconSVG().Content(), []byte("<svg")) {
		t.Fatal("embedded SVG icon has no <svg> element")
	}
}

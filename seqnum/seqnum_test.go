package seqnum

import "testing"

func TestCompareAcrossWrap(t *testing.T) {
	cases := []struct {
		a, b     Value
		lt, le   bool
		gt, ge   bool
		describe string
	}{
		{1, 2, true, true, false, false, "plain"},
		{2, 2, false, true, false, true, "equal"},
		{0xfffffff0, 0x10, true, true, false, false, "wraps"},
		{0x10, 0xfffffff0, false, false, true, true, "wraps back"},
		{0, 0x7fffffff, true, true, false, false, "half space"},
	}
	for _, c := range cases {
		if c.a.LessThan(c.b) != c.lt || c.a.LessThanEq(c.b) != c.le ||
			c.a.GreaterThan(c.b) != c.gt || c.a.GreaterThanEq(c.b) != c.ge {
			t.Errorf("%s: %#x vs %#x gave wrong order", c.describe, c.a, c.b)
		}
	}
}

func TestWindow(t *testing.T) {
	first := Value(0xffffff00)
	cases := []struct {
		v    Value
		size Size
		in   bool
	}{
		{0xffffff00, 0x200, true},
		{0x000000ff, 0x200, true},
		{0x00000100, 0x200, false},
		{0xfffffeff, 0x200, false},
		{0xffffff00, 0, false},
	}
	for _, c := range cases {
		if got := c.v.InWindow(first, c.size); got != c.in {
			t.Errorf("%#x in [%#x,+%#x) = %v", c.v, first, c.size, got)
		}
	}
	if !Value(5).Between(5, 5) || Value(6).Between(5, 5) || !Value(1).Between(0xfffffff0, 3) {
		t.Error("Between")
	}
	if first.Add(0x200) != 0x100 || Value(0x100).Sub(0x200) != first || first.Size(0x100) != 0x200 {
		t.Error("arithmetic")
	}
	if Max(0xfffffff0, 3) != 3 || Min(0xfffffff0, 3) != 0xfffffff0 {
		t.Error("Max/Min")
	}
}

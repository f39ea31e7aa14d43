package retry

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"
)

// WriteTable writes failures as a table, as archiver failures lists
// them.
func WriteTable(w io.Writer, list []Failure) error {
	if len(list) == 0 {
		_, err := fmt.Fprintln(w, "failures: no failed articles")
		return err
	}
	day := func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04") }
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "URL\tKIND\tFIRST\tLAST\tATTEMPTS\tNEXT\tREASON")
	for _, f := range list {
		next := day(f.Next())
		if !f.GaveUp.IsZero() {
			next = "given up"
		}
		kind := string(f.Kind)
		if f.Permanent {
			kind += " (permanent)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\n", f.URL, kind, day(f.First), day(f.Last), f.Attempts, next, f.Reason)
	}
	return tw.Flush()
}

package corpus

// Complete gives a an ID when it has none and fills its Hash, as the
// readers do: for articles built by other code (from a feed item's
// summary, say) so that they get the IDs reading the same article from a
// file or page would give. Origin is left as it is.
func Complete(a *Article) {
	finish(a, a.Origin)
}

// IsSource reports whether Articles reads a file of this name (by its
// extension: .txt, .html, .htm, .jsonl, .ndjson, .json, any of them .gz).
func IsSource(name string) bool {
	return formatOf(name) != 0
}

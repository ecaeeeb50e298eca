// Package analyzer is Vietnamese-aware text analysis for Bleve.
//
// Importing it registers, under stable names:
//
//	tokenizer     vi_syllable       syllables; numbers, dates, times, codes, emails, URLs kept whole;
//	                                compounds (Covid-19, TP.HCM) whole and by their parts
//	token filter  vi_normalize      NFC, Ð read as Đ, lowercase, canonical tone placement
//	token filter  vi_fold           every diacritic removed, đ → d
//	analyzer      vi                vi_syllable + vi_normalize: exact terms
//	analyzer      vi_folded         vi + vi_fold: "ma tuy" meets "ma túy"
//	analyzer      vi_bigram         adjacent syllable pairs, exact: "ma túy"
//	analyzer      vi_folded_bigram  adjacent syllable pairs, folded: "ma tuy"
//
// and Tokens and Bigrams offer the same analysis to plain Go code.
//
// Normalization happens in token filters, never in a char filter, so token
// offsets always point into the original text and highlighting stays right
// whatever the input's normalization form. There is no stop-word list:
// "Mỹ", "số" and "đó" are words a Vietnamese reader searches for.
//
// # Adjacent syllables
//
// About 85% of Vietnamese words have two or more syllables, written apart
// ("ma túy", "Trùng Khánh", "Bộ Công an"), so a document holding both
// syllables of a query somewhere is a weak match; holding them side by side
// is the real one. Two ways to see words exist: a dictionary word segmenter,
// or adjacent syllables. This package gives adjacency, not segmentation:
//
//   - It needs no dictionary. The segmenters with good accuracy (VnCoreNLP,
//     pyvi, Cốc Cốc's tokenizer) carry dictionaries and models under
//     licenses (GPL, or none stated) that a permissively licensed Go
//     library cannot bundle, and no dictionary knows tomorrow's names.
//   - Segmentation errors lose matches for good: a query segmented one way
//     misses a document segmented another. Two adjacent syllables are
//     adjacent in query and document alike.
//
// Adjacency comes in two forms. Syllables marks each syllable that stands
// right after the previous one (Joined): separated by whitespace only, or
// joined in one compound — "ma, túy" are not. And the bigram analyzers
// index each such pair as one term ("ma túy", folded "ma tuy"), so that an
// index can rank adjacency with one term lookup per pair. vnsearch's own
// index measured bigram fields against positions: bigrams doubled the time
// to build it and added 1.2 times the text's size on disk, so it keeps
// positions of folded syllables instead and checks the query's Joined pairs
// against them for its best candidates only.
package analyzer

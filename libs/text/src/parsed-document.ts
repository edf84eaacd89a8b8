/** A span of the document under one heading path (`[]` before the first heading). */
export interface DocumentSection {
  heading: string[];
  /** Offsets into `ParsedDocument.text`, end exclusive. */
  start: number;
  end: number;
}

export interface ParsedDocument {
  /** The normalised text (NFC, `\n` line ends, no BOM); every offset points into it. */
  text: string;
  /** Which parser produced it, recorded in each chunk's lineage. */
  parser: string;
  /** In document order, contiguous, covering every non-blank part of `text`. */
  sections: DocumentSection[];
  /** In order, one per page, when the format has pages (PDF); blank separators lie between them. */
  pages?: PageSpan[];
  /** Tables, in order; the chunker keeps each whole where it fits. */
  tables?: TableSpan[];
}

/** The text of one page (1-based), for formats that have pages (PDF). */
export interface PageSpan {
  page: number;
  /** Offsets into `ParsedDocument.text`, end exclusive. */
  start: number;
  end: number;
}

/** A table, rendered as Markdown pipe rows; the chunker keeps it whole where it fits. */
export interface TableSpan {
  start: number;
  end: number;
}

/** One row of a CSV or JSON Lines file: its own text, id and metadata. */
export interface ParsedRecord {
  /** The value of the chosen id field, when one was chosen and present. */
  id?: string;
  /** 1-based row (CSV, after the header) or line (JSON Lines) number. */
  row: number;
  text: string;
  metadata: Record<string, string>;
  /** Where the record's text is in `ParsedDocument.text`. */
  start: number;
  end: number;
}

/** What the file parsers (`@keel/text/formats`) add to the model. */
export interface ParsedFile extends ParsedDocument {
  /** The media type detected from the bytes (not the one declared). */
  contentType: string;
  /** CSV and JSON Lines only. */
  records?: ParsedRecord[];
}

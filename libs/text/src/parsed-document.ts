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
}

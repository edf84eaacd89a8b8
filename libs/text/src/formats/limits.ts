/** What one file may cost to parse. Every limit ends in a rejection with a reason, never a crash. */
export interface FormatLimits {
  /** The file itself. */
  maxBytes: number;
  maxPdfPages: number;
  /** DOCX (zip): entries, and the sum of their uncompressed sizes, declared and actual. */
  maxZipEntries: number;
  maxUncompressedBytes: number;
  /** CSV and JSON Lines rows. */
  maxRecords: number;
  /** Wall time of one parse in the worker thread; past it the worker is terminated. */
  timeoutMs: number;
  /** Heap of the parsing worker; a file that needs more is rejected as too large. */
  workerMemoryMb: number;
}

export const DEFAULT_FORMAT_LIMITS: FormatLimits = {
  maxBytes: 25 * 1024 * 1024,
  maxPdfPages: 2_000,
  maxZipEntries: 5_000,
  maxUncompressedBytes: 200 * 1024 * 1024,
  maxRecords: 10_000,
  timeoutMs: 60_000,
  workerMemoryMb: 1_024,
};

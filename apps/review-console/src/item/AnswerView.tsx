import type { Citation } from '../api/types';
import { type AnswerSegment, citationFor, splitAnswer } from './citations';

// Every segment has text, so running offsets are distinct.
function withOffsets(segments: AnswerSegment[]): { segment: AnswerSegment; at: number }[] {
  let at = 0;
  return segments.map((segment) => {
    const entry = { segment, at };
    at += segment.text.length;
    return entry;
  });
}

interface Props {
  answer: string;
  citations: readonly Citation[];
  selected: number | null;
  onSelect: (marker: number) => void;
}

/** The answer with each [n] a button that shows its source passage beside it. */
export function AnswerView({ answer, citations, selected, onSelect }: Props) {
  return (
    <p className="answer-text">
      {withOffsets(splitAnswer(answer)).map(({ segment, at }) => {
        // Markers repeat ([1] twice): a segment's place in the answer is its identity.
        if (segment.kind === 'text') return <span key={at}>{segment.text}</span>;
        const citation = citationFor(segment.marker, citations);
        const label = citation?.title || citation?.documentId;
        return (
          <button
            key={at}
            type="button"
            className="marker"
            aria-pressed={selected === segment.marker}
            aria-label={`Citation ${segment.marker}${label ? `: ${label}` : ' (no source)'}`}
            data-marker={segment.marker}
            onClick={() => onSelect(segment.marker)}
          >
            {segment.text}
          </button>
        );
      })}
    </p>
  );
}

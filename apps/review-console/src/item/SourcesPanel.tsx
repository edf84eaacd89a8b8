import { useEffect, useRef } from 'react';
import type { Citation, ContextChunk } from '../api/types';
import { citationFor, cut, locateQuote } from './citations';

interface Props {
  citations: readonly Citation[];
  contexts: readonly ContextChunk[];
  selected: number | null;
}

/** The passages the model was given; the selected marker's passage is highlighted, its quote marked. */
export function SourcesPanel({ citations, contexts, selected }: Props) {
  const citation = selected === null ? undefined : citationFor(selected, citations);
  const highlight = citation ? locateQuote(citation, contexts) : undefined;
  const selectedRef = useRef<HTMLLIElement>(null);

  useEffect(() => {
    // scrollIntoView is absent in some test DOMs; the highlight matters more than the scroll.
    if (highlight) selectedRef.current?.scrollIntoView?.({ block: 'nearest', behavior: 'smooth' });
  }, [highlight]);

  const markersOfChunk = (chunkId: string) =>
    citations
      .map((entry, index) => ({ entry, marker: entry.marker && entry.marker > 0 ? entry.marker : index + 1 }))
      .filter(({ entry }) => entry.chunkId === chunkId)
      .map(({ marker }) => marker);

  return (
    <section aria-labelledby="sources-title" className="card sources">
      <h2 id="sources-title">Sources</h2>
      {selected !== null && !citation ? (
        <p className="notice">Marker [{selected}] has no citation: the answer cites a source it was not given.</p>
      ) : null}
      {citation && !highlight ? (
        <p className="notice">
          The passage of citation [{selected}] ({citation.chunkId}) is not among the contexts.
        </p>
      ) : null}
      {highlight && !highlight.quoteFound ? (
        <p className="notice">The quoted words of citation [{selected}] are not in its passage.</p>
      ) : null}
      {contexts.length === 0 ? <p className="muted">No passages were retrieved for this answer.</p> : null}
      <ol className="passages">
        {contexts.map((chunk) => {
          const isSelected = highlight?.chunkId === chunk.chunkId;
          const markers = markersOfChunk(chunk.chunkId);
          const [before, quoted, after] = isSelected
            ? cut(chunk.text, highlight.start, highlight.end)
            : [chunk.text, '', ''];
          return (
            <li
              key={chunk.chunkId}
              ref={isSelected ? selectedRef : undefined}
              className={isSelected ? 'passage selected' : 'passage'}
              aria-current={isSelected ? 'true' : undefined}
              data-chunk-id={chunk.chunkId}
            >
              <div className="passage-head">
                {markers.length > 0 ? (
                  <span className="badge">{markers.map((marker) => `[${marker}]`).join(' ')}</span>
                ) : null}
                <span className="doc" title={chunk.chunkId}>
                  {citations.find((entry) => entry.chunkId === chunk.chunkId)?.title || chunk.documentId}
                </span>
                {chunk.documentVersion ? <span className="muted small"> · {chunk.documentVersion}</span> : null}
                {typeof chunk.score === 'number' ? (
                  <span className="muted small"> · score {chunk.score.toFixed(2)}</span>
                ) : null}
              </div>
              <p className="passage-text">
                {before}
                {quoted ? <mark className="quote">{quoted}</mark> : null}
                {after}
              </p>
            </li>
          );
        })}
      </ol>
    </section>
  );
}

/**
 * Loads the demo corpus through ingestion's public HTTP API, as a user would, with stable
 * document ids so that a restart re-submits the same content and ingestion reports it unchanged.
 */
import { readdir, readFile } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const demoCorpusDirectory = fileURLToPath(new URL('../demo', import.meta.url));

export interface DemoDocument {
  documentId: string;
  title: string;
  contentType: 'text/markdown' | 'text/plain';
  text: string;
}

export async function readDemoCorpus(directory = demoCorpusDirectory): Promise<DemoDocument[]> {
  const files = (await readdir(directory)).filter((file) => ['.md', '.txt'].includes(extname(file))).sort();
  return Promise.all(
    files.map(async (file) => {
      const text = await readFile(join(directory, file), 'utf8');
      const heading = /^#\s+(.+)$/m.exec(text)?.[1] ?? text.split('\n')[0] ?? file;
      return {
        documentId: `demo-${basename(file, extname(file))}`,
        title: heading.trim(),
        contentType: extname(file) === '.md' ? 'text/markdown' : 'text/plain',
        text,
      } satisfies DemoDocument;
    }),
  );
}

interface JobStatus {
  status: 'queued' | 'running' | 'indexed' | 'rejected';
  reason?: string;
}

/** Submits every document and waits until each job is indexed; throws naming any rejection. */
export async function loadDemoCorpus(
  ingestionUrl: string,
  apiKey: string,
  options: { timeoutMs?: number; documents?: DemoDocument[] } = {},
): Promise<{ indexed: number }> {
  const documents = options.documents ?? (await readDemoCorpus());
  const headers = { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' };
  const jobs = await Promise.all(
    documents.map(async (document) => {
      const response = await fetch(`${ingestionUrl}/v1/documents`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ ...document, source: `demo/${document.documentId}` }),
      });
      if (response.status !== 202) {
        throw new Error(`ingestion refused ${document.documentId}: ${response.status} ${await response.text()}`);
      }
      const { jobId } = (await response.json()) as { jobId: string };
      return { jobId, documentId: document.documentId };
    }),
  );
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  const pending = new Set(jobs.map((job) => job.jobId));
  while (pending.size > 0) {
    if (Date.now() > deadline) throw new Error(`demo corpus not indexed in time: ${pending.size} jobs pending`);
    for (const jobId of [...pending]) {
      const response = await fetch(`${ingestionUrl}/v1/jobs/${jobId}`, { headers });
      const job = (await response.json()) as JobStatus;
      if (job.status === 'indexed') pending.delete(jobId);
      if (job.status === 'rejected') throw new Error(`demo document rejected (job ${jobId}): ${job.reason}`);
    }
    if (pending.size > 0) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { indexed: jobs.length };
}

// @vitest-environment jsdom
import { cleanup, render, screen } from '@testing-library/react';
import { MemoryRouter } from 'react-router';
import { afterEach, describe, expect, it } from 'vitest';
import { App } from './App';
import { ApiClient } from './api/client';
import type { Role } from './api/types';
import { createFakeService } from './testing/fakeService';

afterEach(cleanup);

function renderAt(path: string, roles: Role[]) {
  const service = createFakeService({ signedIn: true, roles });
  render(
    <MemoryRouter initialEntries={[path]}>
      <App api={new ApiClient({ fetch: service.fetch })} />
    </MemoryRouter>,
  );
}

// One test per screen and per file: React.lazy keeps a chunk once loaded, so only the first visit
// of a screen in this module shows its loading state.
describe('the lead and admin screens load lazily', () => {
  it("shows a busy loading state, then the lead's screens", async () => {
    renderAt('/lead/agreement', ['reviewer', 'lead']);
    const loading = await screen.findByRole('progressbar', { name: "Loading the lead's screens" });
    expect(loading.closest('[aria-busy="true"]')).not.toBeNull();
    expect(await screen.findByRole('heading', { name: 'Lead', level: 1 })).toBeTruthy();
    expect(screen.queryByRole('progressbar', { name: "Loading the lead's screens" })).toBeNull();
  });

  it("shows a busy loading state, then the admin's screens", async () => {
    renderAt('/admin', ['reviewer', 'admin']);
    expect(await screen.findByRole('progressbar', { name: "Loading the admin's screens" })).toBeTruthy();
    expect(await screen.findByRole('heading', { name: 'Admin', level: 1 })).toBeTruthy();
  });

  it('never loads them for a reviewer without the role', async () => {
    renderAt('/admin/queues', ['reviewer']);
    expect(await screen.findByRole('heading', { name: 'Not allowed' })).toBeTruthy();
    expect(screen.queryByRole('progressbar')).toBeNull();
  });
});

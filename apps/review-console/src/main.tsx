import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter } from 'react-router';
import { App } from './App';
import { ApiClient } from './api/client';
import { preloadItem } from './item/preload';
import './styles.css';

const container = document.getElementById('root');
if (!container) throw new Error('index.html lacks the #root element');

const api = new ApiClient();
// An item's URL: its reads go out now, beside the session check, not after it.
preloadItem(api, window.location.pathname);

createRoot(container).render(
  <StrictMode>
    <BrowserRouter>
      <App api={api} />
    </BrowserRouter>
  </StrictMode>,
);

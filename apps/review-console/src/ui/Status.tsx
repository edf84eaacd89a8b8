/**
 * The app's live region: one polite status line that screen readers announce ("Approved. Claimed the
 * next item."), also shown on screen for a few seconds.
 */
import { createContext, type ReactNode, useCallback, useContext, useEffect, useRef, useState } from 'react';

type Announce = (message: string) => void;

const StatusContext = createContext<Announce>(() => {});

const VISIBLE_MS = 6000;

export function StatusProvider({ children }: { children: ReactNode }) {
  const [message, setMessage] = useState('');
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  const announce = useCallback<Announce>((text) => {
    clearTimeout(timer.current);
    setMessage(text);
    timer.current = setTimeout(() => setMessage(''), VISIBLE_MS);
  }, []);

  useEffect(() => () => clearTimeout(timer.current), []);

  return (
    <StatusContext.Provider value={announce}>
      {children}
      <div className="status-line" role="status" aria-live="polite" aria-atomic="true">
        {message}
      </div>
    </StatusContext.Provider>
  );
}

export function useAnnounce(): Announce {
  return useContext(StatusContext);
}

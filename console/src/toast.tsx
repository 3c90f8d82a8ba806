import { useEffect, useState } from 'preact/hooks';
import { ApiError, type FieldError, messageOf } from './api/client';

/**
 * The result of every action: a success in the page's one role="status" region, an error in one
 * role="alert" (the API's message and each field it names). A new result replaces the last one.
 */
interface Toasts {
  success: string | null;
  error: { message: string; errors: FieldError[] } | null;
}

let state: Toasts = { success: null, error: null };
let successTimer: ReturnType<typeof setTimeout> | undefined;
const listeners = new Set<() => void>();

function set(next: Toasts): void {
  state = next;
  for (const l of listeners) l();
}

export function showSuccess(message: string): void {
  clearTimeout(successTimer);
  set({ success: message, error: null });
  successTimer = setTimeout(() => set({ ...state, success: null }), 10_000);
}

export function showError(err: unknown): void {
  clearTimeout(successTimer);
  const errors = err instanceof ApiError ? err.errors : [];
  set({ success: null, error: { message: messageOf(err), errors } });
}

export function clearToasts(): void {
  clearTimeout(successTimer);
  if (state.success || state.error) set({ success: null, error: null });
}

/** On another page the last error no longer applies; a success stays (an action that moved to another page reports there). */
export function clearError(): void {
  if (state.error) set({ ...state, error: null });
}

export function Toasts() {
  const [, setTick] = useState(0);
  useEffect(() => {
    const l = () => setTick((t) => t + 1);
    listeners.add(l);
    return () => {
      listeners.delete(l);
    };
  }, []);
  return (
    <div class="toasts">
      <div role="status" class={state.success ? 'toast toast-ok' : 'toast-empty'}>
        {state.success}
      </div>
      {state.error && (
        <div class="toast toast-error">
          <div role="alert">
            <p>{state.error.message}</p>
            {state.error.errors.length > 0 && (
              <ul>
                {state.error.errors.map((e) => (
                  <li key={e.field}>
                    <strong>{e.field}</strong> {e.message}
                  </li>
                ))}
              </ul>
            )}
          </div>
          <button type="button" class="link-button" onClick={clearToasts}>
            Dismiss
          </button>
        </div>
      )}
    </div>
  );
}

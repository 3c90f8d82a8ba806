import { useCallback, useState } from 'preact/hooks';
import { ApiError, type FieldError } from '../api/client';
import { showError, showSuccess } from '../toast';

/**
 * Runs one request for a control: `busy` names the control whose request runs (its button is
 * disabled meanwhile), the result is shown (a success message in the status region, an error in
 * the alert), and `errors` keeps the fields the last error named, for the form to show beside them.
 */
export function useAction() {
  const [busy, setBusy] = useState<string | null>(null);
  const [errors, setErrors] = useState<FieldError[]>([]);
  const run = useCallback(
    async <T>(key: string, fn: () => Promise<T>, success?: string | ((value: T) => string)): Promise<T | undefined> => {
      setBusy(key);
      setErrors([]);
      try {
        const value = await fn();
        if (success) showSuccess(typeof success === 'string' ? success : success(value));
        return value;
      } catch (err) {
        if (err instanceof ApiError) setErrors(err.errors);
        showError(err);
        return undefined;
      } finally {
        setBusy(null);
      }
    },
    [],
  );
  return { busy, errors, setErrors, run };
}

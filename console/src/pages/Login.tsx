import { useState } from 'preact/hooks';
import { ApiError, type FieldError, messageOf } from '../api/client';
import { errorFor, TextField } from '../components/fields';
import { signIn, takeNotice } from '../session';

/** `#/login`: the admin login. Its errors (and why the admin was sent here) are in its one role="alert". */
export function Login() {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [notice] = useState(() => takeNotice());
  const [message, setMessage] = useState<string | null>(notice?.error ? notice.text : null);
  const [errors, setErrors] = useState<FieldError[]>([]);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setMessage(null);
    setErrors([]);
    try {
      // the app goes on to the page that was asked for once the session is there
      await signIn(email.trim(), password);
    } catch (err) {
      setMessage(messageOf(err));
      if (err instanceof ApiError) setErrors(err.errors);
      setBusy(false);
    }
  };

  return (
    <main id="main" class="login">
      <h1 tabIndex={-1}>SocioX admin console</h1>
      <form onSubmit={submit} class="panel" noValidate>
        <p role="status" class="notice">
          {notice && !notice.error && !message ? notice.text : ''}
        </p>
        {message && (
          <div role="alert" class="toast toast-error">
            <p>{message}</p>
            {errors.length > 0 && (
              <ul>
                {errors.map((e) => (
                  <li key={e.field}>
                    <strong>{e.field}</strong> {e.message}
                  </li>
                ))}
              </ul>
            )}
          </div>
        )}
        <TextField
          id="login-email"
          label="Email"
          type="email"
          autoComplete="username"
          required
          value={email}
          onValue={setEmail}
          error={errorFor(errors, 'email')}
        />
        <TextField
          id="login-password"
          label="Password"
          type="password"
          autoComplete="current-password"
          required
          value={password}
          onValue={setPassword}
          error={errorFor(errors, 'password')}
        />
        <div class="stack">
          <button type="submit" class="primary" disabled={busy}>
            Sign in
          </button>
        </div>
      </form>
    </main>
  );
}

import { useState } from 'preact/hooks';
import { api, ok, type User } from '../../api/client';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { useAction } from '../../components/use-action';
import { navigate } from '../../router';

type Confirming = 'deactivate' | 'delete' | null;

/** Deactivate / Reactivate, Delete and Send reset link (permission manage_users); the first two ask first, naming the user. */
export function UserActions({ user, changed }: { user: User; changed: () => void }) {
  const { busy, run } = useAction();
  const [confirming, setConfirming] = useState<Confirming>(null);
  const path = { params: { path: { userId: user.id } } };

  const deactivate = async () => {
    const done = await run(
      'deactivate',
      () => ok(api.POST('/api/v1/admin/users/{userId}/deactivate', path)),
      (b) => b.message,
    );
    setConfirming(null);
    if (done) changed();
  };
  const reactivate = async () => {
    if (
      await run(
        'reactivate',
        () => ok(api.POST('/api/v1/admin/users/{userId}/reactivate', path)),
        (b) => b.message,
      )
    )
      changed();
  };
  const remove = async () => {
    const done = await run(
      'delete',
      () => ok(api.DELETE('/api/v1/admin/users/{userId}', path)),
      (b) => b.message,
    );
    setConfirming(null);
    if (done) navigate('/users');
  };
  const resetLink = () =>
    run(
      'reset',
      () => ok(api.POST('/api/v1/admin/users/password-reset-link', { body: { email: user.email } })),
      (b) => b.message,
    );

  return (
    <div class="actions">
      {user.status === 'active' ? (
        <button type="button" class="danger" onClick={() => setConfirming('deactivate')} disabled={busy === 'deactivate'}>
          Deactivate
        </button>
      ) : (
        <button type="button" onClick={reactivate} disabled={busy === 'reactivate'}>
          Reactivate
        </button>
      )}
      <button type="button" class="danger" onClick={() => setConfirming('delete')} disabled={busy === 'delete'}>
        Delete
      </button>
      <button type="button" onClick={resetLink} disabled={busy === 'reset'}>
        Send reset link
      </button>
      <ConfirmDialog
        open={confirming === 'deactivate'}
        title="Deactivate this user?"
        busy={busy === 'deactivate'}
        onConfirm={deactivate}
        onClose={() => setConfirming(null)}
      >
        <p>
          Deactivate <strong>{user.email}</strong>? They can no longer sign in, and every token they hold stops working at once.
        </p>
      </ConfirmDialog>
      <ConfirmDialog
        open={confirming === 'delete'}
        title="Delete this user?"
        busy={busy === 'delete'}
        onConfirm={remove}
        onClose={() => setConfirming(null)}
      >
        <p>
          Delete <strong>{user.email}</strong> and what the account owns (its child users and memberships)? This cannot be undone.
        </p>
      </ConfirmDialog>
    </div>
  );
}

import { useState } from 'preact/hooks';
import { type AdminPermission, api, ok } from '../../api/client';
import { errorFor, Select, TextField } from '../../components/fields';
import { useAction } from '../../components/use-action';
import { PermissionPicker } from './PermissionPicker';

type Role = 'admin' | 'superadmin';
const BLANK = { email: '', name: '', password: '', role: 'admin' as Role, permissions: [] as AdminPermission[] };

/** The "New admin" form: the account, its role and a permission picker. */
export function NewAdmin({ created }: { created: () => void }) {
  const [form, setForm] = useState(BLANK);
  const { busy, errors, run } = useAction();
  const submit = async (e: Event) => {
    e.preventDefault();
    const body = {
      email: form.email.trim(),
      name: form.name.trim(),
      password: form.password,
      role: form.role,
      permissions: form.permissions,
    };
    if (
      await run(
        'create',
        () => ok(api.POST('/api/v1/admin/admins', { body })),
        (b) => b.message,
      )
    ) {
      setForm(BLANK);
      created();
    }
  };
  return (
    <section class="panel" aria-labelledby="new-admin-title">
      <h2 id="new-admin-title">New admin</h2>
      <form aria-labelledby="new-admin-title" noValidate onSubmit={submit}>
        <div class="field-row">
          <TextField
            id="admin-email"
            label="Email"
            type="email"
            autoComplete="off"
            required
            value={form.email}
            onValue={(email) => setForm({ ...form, email })}
            error={errorFor(errors, 'email')}
          />
          <TextField
            id="admin-name"
            label="Name"
            required
            value={form.name}
            onValue={(name) => setForm({ ...form, name })}
            error={errorFor(errors, 'name')}
          />
          <TextField
            id="admin-password"
            label="Password"
            type="password"
            autoComplete="new-password"
            required
            value={form.password}
            onValue={(password) => setForm({ ...form, password })}
            error={errorFor(errors, 'password')}
            hint="8 to 128 characters"
          />
          <Select
            id="admin-role"
            label="Role"
            value={form.role}
            onValue={(v) => setForm({ ...form, role: v === 'superadmin' ? 'superadmin' : 'admin' })}
            options={[
              { value: 'admin', label: 'admin' },
              { value: 'superadmin', label: 'superadmin' },
            ]}
            error={errorFor(errors, 'role')}
            hint="A superadmin holds every permission and manages admins"
          />
        </div>
        <PermissionPicker
          idPrefix="new-admin"
          legend="Permissions"
          value={form.permissions}
          onValue={(permissions) => setForm({ ...form, permissions })}
          error={errorFor(errors, 'permissions.*')}
        />
        <button type="submit" class="primary" disabled={busy === 'create'}>
          Create admin
        </button>
      </form>
    </section>
  );
}

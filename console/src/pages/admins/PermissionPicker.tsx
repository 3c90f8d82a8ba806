import type { AdminPermission } from '../../api/client';
import { ADMIN_PERMISSIONS } from '../../permissions';

/** One checkbox per admin permission, each labelled with the permission's name. */
export function PermissionPicker(props: {
  idPrefix: string;
  legend: string;
  value: AdminPermission[];
  onValue: (v: AdminPermission[]) => void;
  error?: string | undefined;
}) {
  const { idPrefix, legend, value, onValue, error } = props;
  const toggle = (p: AdminPermission, on: boolean) => onValue(on ? [...value.filter((v) => v !== p), p] : value.filter((v) => v !== p));
  return (
    <fieldset class="permissions">
      <legend>{legend}</legend>
      {ADMIN_PERMISSIONS.map((p) => (
        <div class="field-check" key={p}>
          <input id={`${idPrefix}-${p}`} type="checkbox" checked={value.includes(p)} onChange={(e) => toggle(p, e.currentTarget.checked)} />
          <label for={`${idPrefix}-${p}`}>{p}</label>
        </div>
      ))}
      {error && <p class="field-error">{error}</p>}
    </fieldset>
  );
}

import type { ComponentChildren } from 'preact';
import type { FieldError } from '../api/client';

/** The message of the first error naming one of `fields` (`features.*` names `features` and any path below it). */
export function errorFor(errors: FieldError[], ...fields: string[]): string | undefined {
  const names = (field: string, f: string) =>
    f.endsWith('.*') ? field === f.slice(0, -2) || field.startsWith(f.slice(0, -1)) : field === f;
  const hit = errors.find((e) => fields.some((f) => names(e.field, f)));
  return hit ? (hit.field === fields[0] ? hit.message : `${hit.field} ${hit.message}`) : undefined;
}

interface Described {
  'aria-invalid'?: boolean;
  'aria-describedby'?: string;
}

function described(id: string, error?: string, hint?: string): Described {
  const ids = [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ');
  return { ...(error ? { 'aria-invalid': true } : {}), ...(ids ? { 'aria-describedby': ids } : {}) };
}

function Notes({ id, error, hint }: { id: string; error?: string | undefined; hint?: string | undefined }) {
  return (
    <>
      {hint && (
        <p id={`${id}-hint`} class="hint">
          {hint}
        </p>
      )}
      {error && (
        <p id={`${id}-error`} class="field-error">
          {error}
        </p>
      )}
    </>
  );
}

interface Base {
  id: string;
  label: string;
  error?: string | undefined;
  hint?: string | undefined;
}

export function TextField(
  props: Base & {
    value: string;
    onValue: (v: string) => void;
    type?: 'text' | 'email' | 'password' | 'search' | 'number' | 'date';
    required?: boolean;
    autoComplete?: string;
    step?: string;
    min?: string;
    maxLength?: number;
  },
) {
  const { id, label, error, hint, value, onValue, type = 'text', ...rest } = props;
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <input
        id={id}
        name={id}
        // Preact's input types are one union per `type`; every type here takes these attributes
        type={type as 'text'}
        value={value}
        onInput={(e) => onValue(e.currentTarget.value)}
        {...described(id, error, hint)}
        {...rest}
      />
      <Notes id={id} error={error} hint={hint} />
    </div>
  );
}

export function TextArea(props: Base & { value: string; onValue: (v: string) => void; rows?: number }) {
  const { id, label, error, hint, value, onValue, rows = 4 } = props;
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <textarea
        id={id}
        name={id}
        rows={rows}
        value={value}
        spellcheck={false}
        onInput={(e) => onValue(e.currentTarget.value)}
        {...described(id, error, hint)}
      />
      <Notes id={id} error={error} hint={hint} />
    </div>
  );
}

export interface Option {
  value: string;
  label: string;
}

export function Select(props: Base & { value: string; onValue: (v: string) => void; options: Option[]; required?: boolean }) {
  const { id, label, error, hint, value, onValue, options, required } = props;
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <select
        id={id}
        name={id}
        value={value}
        required={required}
        onChange={(e) => onValue(e.currentTarget.value)}
        {...described(id, error, hint)}
      >
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
      <Notes id={id} error={error} hint={hint} />
    </div>
  );
}

export function Checkbox(props: Base & { checked: boolean; onChecked: (v: boolean) => void }) {
  const { id, label, error, hint, checked, onChecked } = props;
  return (
    <div class="field field-check">
      <input
        id={id}
        name={id}
        type="checkbox"
        checked={checked}
        onChange={(e) => onChecked(e.currentTarget.checked)}
        {...described(id, error, hint)}
      />
      <label for={id}>{label}</label>
      <Notes id={id} error={error} hint={hint} />
    </div>
  );
}

export function Section({ title, id, children }: { title: string; id: string; children: ComponentChildren }) {
  return (
    <section aria-labelledby={id} class="panel">
      <h2 id={id}>{title}</h2>
      {children}
    </section>
  );
}

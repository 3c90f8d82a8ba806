import type { ComponentChildren } from 'preact';
import { useEffect, useId, useRef } from 'preact/hooks';

/**
 * A modal `<dialog>` asking to confirm one action: its text says what will happen to whom; "Confirm"
 * runs it (disabled while it runs), "Cancel" or Escape closes it, and focus returns where it was.
 */
export function ConfirmDialog(props: {
  open: boolean;
  title: string;
  busy?: boolean;
  /** the button that runs the action ("Confirm") */
  confirmLabel?: string;
  /** a destructive action: the confirm button says so by its colour */
  danger?: boolean;
  onConfirm: () => void;
  onClose: () => void;
  children: ComponentChildren;
}) {
  const { open, title, busy = false, confirmLabel = 'Confirm', danger = true, onConfirm, onClose, children } = props;
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const cancelRef = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) {
      dialog.showModal();
      // focus starts on the harmless choice, unless the dialog asks for something first (a reason)
      if (!dialog.querySelector('textarea, input')) cancelRef.current?.focus();
    }
    if (!open && dialog.open) dialog.close();
  }, [open]);
  return (
    <dialog
      ref={ref}
      aria-labelledby={titleId}
      onCancel={(e) => {
        e.preventDefault();
        if (!busy) onClose();
      }}
    >
      <form
        method="dialog"
        onSubmit={(e) => {
          e.preventDefault();
          onConfirm();
        }}
      >
        <h2 id={titleId}>{title}</h2>
        <div class="dialog-body">{children}</div>
        <div class="actions">
          <button type="submit" class={danger ? 'danger-solid' : 'primary'} disabled={busy}>
            {confirmLabel}
          </button>
          <button ref={cancelRef} type="button" onClick={onClose} disabled={busy}>
            Cancel
          </button>
        </div>
      </form>
    </dialog>
  );
}

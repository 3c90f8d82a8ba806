import type { OutgoingEmail } from './mailer.js';

export type EmailKind =
  | 'password_reset_otp'
  | 'password_changed'
  | 'delete_confirmation'
  | 'account_deleted'
  | 'password_reset_link'
  | 'email_changed'
  | 'webhook_disabled';

export type Email = OutgoingEmail & { kind: EmailKind };

const SIGN_OFF = '\n\n— SocioX Accounts';

/** "grace.hopper@example.com" → "g***@example.com" */
function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  return `${email.slice(0, Math.min(1, at))}***${email.slice(at)}`;
}

export const emails = {
  webhookDisabled(to: string, url: string, endpointId: string): Email {
    return {
      kind: 'webhook_disabled',
      to,
      subject: 'A webhook endpoint was disabled',
      text: `Every delivery to the webhook endpoint ${url} (${endpointId}) failed for 5 days, so it was disabled and receives nothing.\n\nWhen the receiver works again, enable it with PATCH /api/v1/admin/webhooks/${endpointId} {"enabled": true} and retry the failed deliveries.${SIGN_OFF}`,
    };
  },
  passwordResetOtp(to: string, otp: string, minutes: number): Email {
    return {
      kind: 'password_reset_otp',
      to,
      subject: 'Your password reset code',
      text: `Your password reset code is ${otp}\n\nIt expires in ${minutes} minutes and works once. If you did not ask to reset your password, ignore this email; your password has not changed.${SIGN_OFF}`,
    };
  },
  passwordChanged(to: string): Email {
    return {
      kind: 'password_changed',
      to,
      subject: 'Your password was changed',
      text: `The password of your SocioX account was just changed, and every device signed in with the old one was signed out.\n\nIf this was not you, reset your password at once and contact support.${SIGN_OFF}`,
    };
  },
  deleteConfirmation(to: string, link: string, minutes: number): Email {
    return {
      kind: 'delete_confirmation',
      to,
      subject: 'Confirm the deletion of your account',
      text: `Someone (hopefully you) asked to delete your SocioX account and everything it owns.\n\nTo confirm, open this link within ${minutes} minutes:\n${link}\n\nIf you did not ask for this, ignore this email and nothing will happen.${SIGN_OFF}`,
    };
  },
  accountDeleted(to: string): Email {
    return {
      kind: 'account_deleted',
      to,
      subject: 'Your account has been deleted',
      text: `Your SocioX account and everything it owned have been deleted. We are sorry to see you go.${SIGN_OFF}`,
    };
  },
  passwordResetLink(to: string, link: string, minutes: number): Email {
    return {
      kind: 'password_reset_link',
      to,
      subject: 'Reset your password',
      text: `Support sent you a link to choose a new password for your SocioX account:\n${link}\n\nIt works once and expires in ${minutes} minutes.${SIGN_OFF}`,
    };
  },
  /**
   * To the address being replaced: the one person who can still say "that was not me". The new
   * address is shown masked, enough to recognise it, since the old inbox may no longer be the owner's.
   */
  emailChanged(to: string, newEmail: string, link: string, days: number): Email {
    return {
      kind: 'email_changed',
      to,
      subject: 'The email of your account was changed',
      text:
        `The email address of your SocioX account was just changed from ${to} to ${maskEmail(newEmail)}.\n\n` +
        `If you made this change, you need do nothing: do not open the link below.\n\n` +
        `If you did not, open this link within ${days} days to undo it:\n${link}\n\n` +
        `It gives your account back this address, signs out every device and asks you to choose a new password ` +
        `(with "forgot password") before you log in again. It works once.${SIGN_OFF}`,
    };
  },
};

import type { OutgoingEmail } from './mailer.js';

export type EmailKind = 'password_reset_otp' | 'password_changed' | 'delete_confirmation' | 'account_deleted' | 'password_reset_link';

export type Email = OutgoingEmail & { kind: EmailKind };

const SIGN_OFF = '\n\n— SocioX Accounts';

export const emails = {
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
};

/**
 * English texts of the checkout page; the catalogue every other language must match key for key.
 * `{name}` placeholders are filled by `format` with already-formatted values.
 */
export const en = {
  lang: 'en',
  title: 'Pay {merchant}',
  payTo: 'Payment to',
  amount: 'Amount',
  network: 'Network',
  forOrder: 'For',
  address: 'Deposit address',
  copy: 'Copy address',
  copied: 'Copied',
  qrLabel: 'QR code for your wallet app: {currency} transfer of {amount} to the deposit address',
  scanHint: 'Scan with your wallet app, or copy the address and amount.',
  onlyToken: 'Send only {currency} on {network}. Other coins or networks are lost.',
  timeLeft: 'Time left',
  cancel: 'Cancel and return to {merchant}',
  noscript: 'This page refreshes itself every 10 seconds.',
  redirecting: 'Returning to {merchant} in a few seconds…',
  continue: 'Continue to {merchant}',
  phase: {
    waiting: { headline: 'Waiting for payment', detail: 'Send {due} {currency} to the address below.' },
    partially_paid: {
      headline: 'Partially paid',
      detail: 'We have {paid} {currency}. Send {due} {currency} more to the same address.',
    },
    confirming: { headline: 'Payment detected', detail: 'Confirming on {network}: {current} of {required} confirmations.' },
    paid: { headline: 'Paid', detail: 'Thank you, your payment of {amount} {currency} was received.' },
    paid_late: {
      headline: 'Paid after expiry',
      detail: 'Your payment arrived after the invoice expired. It is recorded, and {merchant} will confirm your order.',
    },
    expired: { headline: 'Invoice expired', detail: 'No payment arrived in time. Do not send anything to this address.' },
    underpaid: {
      headline: 'Underpaid',
      detail: 'Only {paid} of {amount} {currency} arrived before the invoice expired. Please contact {merchant}.',
    },
  },
  notFound: { title: 'Payment link not valid', detail: 'Check the link you were given, or ask the shop for a new one.' },
  tooMany: { title: 'Too many requests', detail: 'Please wait a minute and reload the page.' },
};

export type Messages = typeof en;

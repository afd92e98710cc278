import type { Messages } from './en';

/** Spanish texts of the checkout page. */
export const es: Messages = {
  lang: 'es',
  title: 'Pagar a {merchant}',
  payTo: 'Pago a',
  amount: 'Importe',
  network: 'Red',
  forOrder: 'Concepto',
  address: 'Dirección de depósito',
  copy: 'Copiar dirección',
  copied: 'Copiada',
  qrLabel: 'Código QR para su billetera: transferencia de {amount} {currency} a la dirección de depósito',
  scanHint: 'Escanee con su billetera, o copie la dirección y el importe.',
  onlyToken: 'Envíe solo {currency} en {network}. Otras monedas o redes se pierden.',
  timeLeft: 'Tiempo restante',
  cancel: 'Cancelar y volver a {merchant}',
  noscript: 'Esta página se actualiza cada 10 segundos.',
  redirecting: 'Volviendo a {merchant} en unos segundos…',
  continue: 'Continuar a {merchant}',
  phase: {
    waiting: { headline: 'Esperando el pago', detail: 'Envíe {due} {currency} a la dirección de abajo.' },
    partially_paid: {
      headline: 'Pago parcial',
      detail: 'Hemos recibido {paid} {currency}. Envíe {due} {currency} más a la misma dirección.',
    },
    confirming: { headline: 'Pago detectado', detail: 'Confirmando en {network}: {current} de {required} confirmaciones.' },
    paid: { headline: 'Pagado', detail: 'Gracias, hemos recibido su pago de {amount} {currency}.' },
    paid_late: {
      headline: 'Pagado tras el vencimiento',
      detail: 'Su pago llegó después del vencimiento. Queda registrado y {merchant} confirmará su pedido.',
    },
    expired: { headline: 'Factura vencida', detail: 'No llegó ningún pago a tiempo. No envíe nada a esta dirección.' },
    underpaid: {
      headline: 'Pago insuficiente',
      detail: 'Solo llegaron {paid} de {amount} {currency} antes del vencimiento. Contacte con {merchant}.',
    },
  },
  notFound: { title: 'Enlace de pago no válido', detail: 'Revise el enlace recibido o pida uno nuevo a la tienda.' },
  tooMany: { title: 'Demasiadas solicitudes', detail: 'Espere un minuto y vuelva a cargar la página.' },
};

import QRCode from 'qrcode';

/** The payment URI as an inline SVG QR code, rendered on the server: no script or CDN needed to show it. */
export function qrCodeSvg(uri: string): Promise<string> {
  // Always dark on light with a quiet zone, whatever the page theme: wallet scanners expect it.
  return QRCode.toString(uri, {
    type: 'svg',
    errorCorrectionLevel: 'M',
    margin: 4,
    color: { dark: '#000000', light: '#ffffff' },
  });
}

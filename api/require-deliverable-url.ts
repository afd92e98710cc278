import { checkWebhookUrl } from '../activities/webhooks/check-url';
import { ApiError } from './errors';

/**
 * Refuses URLs a webhook delivery would refuse (in live mode: anything not on the public internet),
 * so a merchant learns at once rather than from failed deliveries. Deliveries check again (DNS can change).
 */
export async function requireDeliverableUrl(url: string, livemode: boolean, param: string): Promise<void> {
  const check = await checkWebhookUrl(url, livemode);
  if (!check.ok) throw ApiError.invalid(check.code, `${param} ${check.reason}`, param);
}

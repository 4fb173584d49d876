// Webhook deliveries: the service the HTTP route calls and the profiles it verifies with.
export { WebhookDeliveries, type DeliveryAnswer, type WebhookDeliveryDeps } from './deliveries';
export { profiles } from './profiles';

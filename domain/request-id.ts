/**
 * The Temporal header that carries the id of the API request behind a workflow, and from it to the
 * activities and child workflows it causes, so their log lines name the request.
 */
export const REQUEST_ID_HEADER = 'settle-request-id';

/** Who an event is about: at least one of the two (Segment's rule). */
export interface Identity {
  readonly userId?: string;
  readonly anonymousId?: string;
}

/** Event properties: anything JSON can carry. */
export type Properties = Readonly<Record<string, unknown>>;

/** A Segment `track` call as sent in `POST /v1/batch` (https://segment.com/docs/connections/spec/track/). */
export interface TrackEvent extends Identity {
  readonly type: 'track';
  readonly event: string;
  readonly properties: Properties;
  /** ade's collector keeps one event per messageId. */
  readonly messageId: string;
  /** ISO 8601, when the event happened on the client. */
  readonly timestamp: string;
  readonly context: { readonly library: { readonly name: string; readonly version: string } };
}

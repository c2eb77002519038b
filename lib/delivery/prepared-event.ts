/** A validated event ready to be sent, as it waits in a queue. */
export interface PreparedEvent {
  eventName: string;
  idempotencyKey: string;
  /**
   * The caller chose the key to name one logical event (an order id, say): Loops already holding it means this
   * event was delivered. A generated key names only this send.
   */
  keyChosenByCaller: boolean;
  /** The JSON text sent to Loops: built once, and smaller in memory than the object it came from. */
  body: string;
}

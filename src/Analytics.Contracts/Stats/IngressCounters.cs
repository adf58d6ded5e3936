namespace Analytics.Contracts;

/// <summary>
/// The ingress ring's accounting: <c>Accepted = Folded + Pending</c>, and every record call is either
/// accepted, dropped (ring full) or rejected (invalid input).
/// </summary>
/// <param name="Accepted">Events written into the ring.</param>
/// <param name="Dropped">Events dropped because the ring was full.</param>
/// <param name="Rejected">Record calls refused for invalid input (negative tokens, empty model...).</param>
/// <param name="Folded">Events drained and folded into the stats.</param>
/// <param name="Pending">Events in the ring, not folded yet (0 right after a stats Ask).</param>
/// <param name="SubscriberDropped">Event copies a full streaming subscription could not take.</param>
public sealed record IngressCounters(long Accepted, long Dropped, long Rejected, long Folded, long Pending, long SubscriberDropped);

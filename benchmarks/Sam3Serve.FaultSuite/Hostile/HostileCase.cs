namespace Sam3Serve.FaultSuite.Hostile;

/// <summary>How a hostile request's bytes go onto the wire.</summary>
public enum Delivery
{
    /// <summary>All bytes at once, then read the answer.</summary>
    Whole,

    /// <summary>The head and part of the body, then the connection is closed (a client that dies mid-upload).</summary>
    StopMidStream,

    /// <summary>The head and part of the body, then silence with the connection open (a stalled client).</summary>
    StallMidStream,

    /// <summary>A few bytes at a time with pauses (a slow sender, slowloris-style).</summary>
    Slow,
}

/// <summary>One malformed or hostile request: raw HTTP/1.1 bytes and how to send them.</summary>
/// <param name="Kind">The family it belongs to (for the report).</param>
/// <param name="Bytes">The complete request as it would be sent (head and body).</param>
/// <param name="Delivery">How to send it.</param>
/// <param name="CutAt">For the mid-stream deliveries: how many bytes go out before the stop or stall.</param>
public sealed record HostileCase(string Kind, byte[] Bytes, Delivery Delivery, int CutAt = 0)
{
    /// <summary>True when the server is expected to answer (the whole request reached it, or it can refuse early).</summary>
    public bool ExpectsAnswer => Delivery is Delivery.Whole or Delivery.Slow;
}

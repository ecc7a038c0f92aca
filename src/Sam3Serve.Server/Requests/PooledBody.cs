using System.Buffers;
using System.Text.Json;
using Sam3Serve.Server.Errors;

namespace Sam3Serve.Server.Requests;

/// <summary>
/// A request body read whole into an array from the shared pool, and the JSON document parsed over it;
/// disposing releases both (the server does it when the response is done: <c>RegisterForDispose</c>).
/// </summary>
internal sealed class PooledBody : IDisposable
{
    private byte[]? _buffer;
    private readonly int _length;
    private JsonDocument? _document;

    private PooledBody(byte[] buffer, int length)
    {
        _buffer = buffer;
        _length = length;
    }

    /// <summary>The body's bytes.</summary>
    public ReadOnlyMemory<byte> Memory => (_buffer ?? throw new ObjectDisposedException(nameof(PooledBody))).AsMemory(0, _length);

    /// <summary>Reads the whole body; 413 past <paramref name="maxBytes"/> (Kestrel also enforces its own limit while reading).</summary>
    public static async Task<PooledBody> ReadAsync(HttpRequest request, long maxBytes, CancellationToken cancellationToken)
    {
        if (request.ContentLength is { } declared && declared > maxBytes)
        {
            throw new ApiException(413, "request body is larger than the configured limit");
        }
        var buffer = ArrayPool<byte>.Shared.Rent((int)Math.Clamp(request.ContentLength ?? 16 * 1024, 1, maxBytes));
        var length = 0;
        try
        {
            while (true)
            {
                if (length == buffer.Length)
                {
                    if (length >= maxBytes)
                    {
                        // One more byte would be over the limit: check whether the body really goes on.
                        var probe = new byte[1];
                        if (await request.Body.ReadAsync(probe, cancellationToken) > 0)
                        {
                            throw new ApiException(413, "request body is larger than the configured limit");
                        }
                        break;
                    }
                    var larger = ArrayPool<byte>.Shared.Rent((int)Math.Min((long)buffer.Length * 2, maxBytes));
                    buffer.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }
                var read = await request.Body.ReadAsync(buffer.AsMemory(length), cancellationToken);
                if (read == 0)
                {
                    break;
                }
                length += read;
                if (length > maxBytes)
                {
                    throw new ApiException(413, "request body is larger than the configured limit");
                }
            }
        }
        catch (IOException e) when (e is not (BadHttpRequestException or Microsoft.AspNetCore.Connections.ConnectionResetException)
            && !cancellationToken.IsCancellationRequested)
        {
            // Kestrel reports some framing errors (a chunk size that overflows) as a plain IOException rather
            // than a BadHttpRequestException (which the error middleware maps itself, 413 included): the
            // client's fault all the same.
            ArrayPool<byte>.Shared.Return(buffer);
            throw new ApiException(400, $"the request body could not be read: {e.Message}");
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
        return new PooledBody(buffer, length);
    }

    /// <summary>Ties the document parsed over <see cref="Memory"/> to this body's lifetime.</summary>
    public void Attach(JsonDocument document) => _document = document;

    /// <inheritdoc />
    public void Dispose()
    {
        _document?.Dispose();
        _document = null;
        if (_buffer is { } buffer)
        {
            _buffer = null;
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}

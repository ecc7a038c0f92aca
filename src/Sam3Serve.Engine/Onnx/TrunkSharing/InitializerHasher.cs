using System.IO.Hashing;
using Google.Protobuf;
using Onnx;

namespace Sam3Serve.Engine.Onnx.TrunkSharing;

/// <summary>
/// Signs initializers by element type, shape and bytes. Inline data is hashed from the proto; external data is read
/// from its file (location, offset, length) in 4 MiB chunks, so a 1.8 GB weight file costs one sequential read.
/// </summary>
internal sealed class InitializerHasher(SignatureCache? cache = null)
{
    private const int ChunkBytes = 4 << 20;
    private readonly byte[] _buffer = new byte[ChunkBytes];

    /// <summary>Bytes read from external data files so far.</summary>
    public long ExternalBytesRead { get; private set; }

    public UInt128 Sign(TensorProto tensor, string modelDirectory)
    {
        if (tensor.DataLocation != TensorProto.Types.DataLocation.External || cache is null)
        {
            return Compute(tensor, modelDirectory);
        }
        // Keyed by where the bytes are and what they are read as; the cache checks the file itself is unchanged.
        var (location, offset, length) = ExternalData.Describe(tensor);
        var dataFile = Path.Combine(modelDirectory, location);
        var key = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{offset}:{length}:{tensor.DataType}:{string.Join('x', tensor.Dims)}");
        if (cache.TryGet(dataFile, key, out var signature))
        {
            return signature;
        }
        signature = Compute(tensor, modelDirectory);
        cache.Add(dataFile, key, signature);
        return signature;
    }

    private UInt128 Compute(TensorProto tensor, string modelDirectory)
    {
        var hash = new XxHash128();
        hash.Append(BitConverter.GetBytes(tensor.DataType));
        foreach (var d in tensor.Dims)
        {
            hash.Append(BitConverter.GetBytes(d));
        }
        hash.Append("|"u8);
        if (tensor.DataLocation == TensorProto.Types.DataLocation.External)
        {
            AppendExternal(hash, tensor, modelDirectory);
        }
        else
        {
            // The typed fields hold the values when raw_data is empty; serialising a copy without the name signs them.
            var copy = tensor.Clone();
            copy.Name = "";
            copy.DocString = "";
            hash.Append(copy.ToByteArray());
        }
        return hash.GetCurrentHashAsUInt128();
    }

    private void AppendExternal(XxHash128 hash, TensorProto tensor, string modelDirectory)
    {
        var (location, offset, length) = ExternalData.Describe(tensor);
        var path = Path.Combine(modelDirectory, location);
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.SequentialScan);
        if (length < 0)
        {
            length = RandomAccess.GetLength(handle) - offset;
        }
        var remaining = length;
        var position = offset;
        while (remaining > 0)
        {
            var read = RandomAccess.Read(handle, _buffer.AsSpan(0, (int)Math.Min(ChunkBytes, remaining)), position);
            if (read <= 0)
            {
                throw new InvalidDataException($"{path} ends before tensor '{tensor.Name}' (offset {offset}, length {length})");
            }
            hash.Append(_buffer.AsSpan(0, read));
            remaining -= read;
            position += read;
            ExternalBytesRead += read;
        }
    }
}

/// <summary>Reads the external-data fields of a tensor (spec: location, offset, length keys).</summary>
internal static class ExternalData
{
    public static (string Location, long Offset, long Length) Describe(TensorProto tensor)
    {
        string? location = null;
        long offset = 0, length = -1;
        foreach (var entry in tensor.ExternalData)
        {
            switch (entry.Key)
            {
                case "location":
                    location = entry.Value;
                    break;
                case "offset":
                    offset = long.Parse(entry.Value, System.Globalization.CultureInfo.InvariantCulture);
                    break;
                case "length":
                    length = long.Parse(entry.Value, System.Globalization.CultureInfo.InvariantCulture);
                    break;
            }
        }
        return (location ?? throw new InvalidDataException($"tensor '{tensor.Name}' has external data without a location"), offset, length);
    }

    /// <summary>Bytes of the tensor's data (external length or inline size).</summary>
    public static long Bytes(TensorProto tensor) =>
        tensor.DataLocation == TensorProto.Types.DataLocation.External
            ? Describe(tensor).Length
            : tensor.CalculateSize();
}

namespace Sam3Serve.Engine.Bundle;

/// <summary>
/// Reads the graph input names of an ONNX file without loading it: walks ModelProto.graph (field 7) and collects
/// GraphProto.input[].name (fields 11 → 1), seeking past everything else (weights included).
/// </summary>
internal static class OnnxInputNames
{
    private const int ModelGraphField = 7;
    private const int GraphInputField = 11;
    private const int ValueInfoNameField = 1;

    /// <summary>The names of the graph inputs in <paramref name="path"/>, in declaration order.</summary>
    public static IReadOnlyList<string> Read(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        var names = new List<string>();
        var end = stream.Length;
        while (stream.Position < end)
        {
            var (field, wire) = ReadTag(stream);
            if (field == ModelGraphField && wire == 2)
            {
                var graphLength = (long)ReadVarint(stream);
                var graphEnd = stream.Position + graphLength;
                ReadGraphInputs(stream, graphEnd, names);
                stream.Position = graphEnd;
            }
            else
            {
                Skip(stream, wire);
            }
        }
        return names;
    }

    private static void ReadGraphInputs(Stream stream, long graphEnd, List<string> names)
    {
        while (stream.Position < graphEnd)
        {
            var (field, wire) = ReadTag(stream);
            if (field == GraphInputField && wire == 2)
            {
                var valueLength = (long)ReadVarint(stream);
                var valueEnd = stream.Position + valueLength;
                while (stream.Position < valueEnd)
                {
                    var (innerField, innerWire) = ReadTag(stream);
                    if (innerField == ValueInfoNameField && innerWire == 2)
                    {
                        var length = checked((int)ReadVarint(stream));
                        var bytes = new byte[length];
                        stream.ReadExactly(bytes);
                        names.Add(System.Text.Encoding.UTF8.GetString(bytes));
                    }
                    else
                    {
                        Skip(stream, innerWire);
                    }
                }
                stream.Position = valueEnd;
            }
            else
            {
                Skip(stream, wire);
            }
        }
    }

    private static (int Field, int Wire) ReadTag(Stream stream)
    {
        var tag = ReadVarint(stream);
        return ((int)(tag >> 3), (int)(tag & 7));
    }

    private static ulong ReadVarint(Stream stream)
    {
        ulong result = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            var b = stream.ReadByte();
            if (b < 0)
            {
                throw new InvalidDataException("truncated ONNX file");
            }
            result |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                return result;
            }
        }
        throw new InvalidDataException("malformed varint in ONNX file");
    }

    private static void Skip(Stream stream, int wire)
    {
        switch (wire)
        {
            case 0:
                ReadVarint(stream);
                break;
            case 1:
                stream.Seek(8, SeekOrigin.Current);
                break;
            case 2:
                stream.Seek((long)ReadVarint(stream), SeekOrigin.Current);
                break;
            case 5:
                stream.Seek(4, SeekOrigin.Current);
                break;
            default:
                throw new InvalidDataException($"unsupported protobuf wire type {wire} in ONNX file");
        }
    }
}

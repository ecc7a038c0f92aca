using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Sam3Serve.Engine.Onnx;

/// <summary>
/// Converts host data to the element type a graph declares (float32, float16, bfloat16, double, int64, int32, bool)
/// and any numeric or bool output back to float32, so callers never depend on a file's precision.
/// </summary>
internal static class ElementConversion
{
    /// <summary>Builds a CPU value of <paramref name="type"/> from <paramref name="input"/>'s host data.</summary>
    public static OrtValue CreateValue(ModelInput input, TensorElementType type)
    {
        if (input.Value is not null)
        {
            throw new ArgumentException("a ready OrtValue is not converted here", nameof(input));
        }
        var shape = input.Shape;
        if (input.Floats is { } f)
        {
            return type switch
            {
                TensorElementType.Float => OrtValue.CreateTensorValueFromMemory(f, shape),
                _ => Allocate(type, shape, f.Length, (i) => f[i]),
            };
        }
        if (input.Longs is { } l)
        {
            return type switch
            {
                TensorElementType.Int64 => OrtValue.CreateTensorValueFromMemory(l, shape),
                _ => Allocate(type, shape, l.Length, (i) => l[i]),
            };
        }
        var b = input.Bools ?? throw new ArgumentException("input has no data", nameof(input));
        return type switch
        {
            TensorElementType.Bool => OrtValue.CreateTensorValueFromMemory(b, shape),
            _ => Allocate(type, shape, b.Length, (i) => b[i] ? 1.0 : 0.0),
        };
    }

    /// <summary>Reads a host tensor of any numeric or bool element type as float32.</summary>
    public static float[] ToFloats(OrtValue value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var info = value.GetTensorTypeAndShape();
        var count = checked((int)info.ElementCount);
        var result = new float[count];
        switch (info.ElementDataType)
        {
            case TensorElementType.Float:
                value.GetTensorDataAsSpan<float>().CopyTo(result);
                break;
            case TensorElementType.Float16:
                {
                    var bits = MemoryMarshal.Cast<byte, ushort>(value.GetTensorMutableRawData());
                    for (var i = 0; i < count; i++)
                    {
                        result[i] = (float)BitConverter.UInt16BitsToHalf(bits[i]);
                    }
                    break;
                }
            case TensorElementType.BFloat16:
                {
                    var bits = MemoryMarshal.Cast<byte, ushort>(value.GetTensorMutableRawData());
                    for (var i = 0; i < count; i++)
                    {
                        result[i] = BitConverter.Int32BitsToSingle(bits[i] << 16);
                    }
                    break;
                }
            case TensorElementType.Double:
                Copy(value.GetTensorDataAsSpan<double>(), result, static x => (float)x);
                break;
            case TensorElementType.Int64:
                Copy(value.GetTensorDataAsSpan<long>(), result, static x => x);
                break;
            case TensorElementType.Int32:
                Copy(value.GetTensorDataAsSpan<int>(), result, static x => x);
                break;
            case TensorElementType.Bool:
                Copy(value.GetTensorDataAsSpan<bool>(), result, static x => x ? 1f : 0f);
                break;
            case TensorElementType.UInt8:
                Copy(value.GetTensorDataAsSpan<byte>(), result, static x => x);
                break;
            default:
                throw new NotSupportedException($"cannot read a {info.ElementDataType} tensor as float32");
        }
        return result;
    }

    /// <summary>
    /// Copies elements [<paramref name="start"/>, <paramref name="start"/> + destination.Length) of a host float32,
    /// float16 or bfloat16 tensor into <paramref name="destination"/> as float32, without reading the rest.
    /// </summary>
    public static void CopySlice(OrtValue value, long start, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(value);
        var type = value.GetTensorTypeAndShape().ElementDataType;
        var offset = checked((int)start);
        switch (type)
        {
            case TensorElementType.Float:
                value.GetTensorDataAsSpan<float>().Slice(offset, destination.Length).CopyTo(destination);
                break;
            case TensorElementType.Float16:
                {
                    var bits = MemoryMarshal.Cast<byte, ushort>(value.GetTensorMutableRawData()).Slice(offset, destination.Length);
                    for (var i = 0; i < bits.Length; i++)
                    {
                        destination[i] = (float)BitConverter.UInt16BitsToHalf(bits[i]);
                    }
                    break;
                }
            case TensorElementType.BFloat16:
                {
                    var bits = MemoryMarshal.Cast<byte, ushort>(value.GetTensorMutableRawData()).Slice(offset, destination.Length);
                    for (var i = 0; i < bits.Length; i++)
                    {
                        destination[i] = BitConverter.Int32BitsToSingle(bits[i] << 16);
                    }
                    break;
                }
            default:
                ToFloats(value).AsSpan(offset, destination.Length).CopyTo(destination);
                break;
        }
    }

    /// <summary>Bytes per element of a numeric or bool type.</summary>
    public static int SizeOf(TensorElementType type) => type switch
    {
        TensorElementType.Float or TensorElementType.Int32 or TensorElementType.UInt32 => 4,
        TensorElementType.Float16 or TensorElementType.BFloat16 or TensorElementType.Int16 or TensorElementType.UInt16 => 2,
        TensorElementType.Double or TensorElementType.Int64 or TensorElementType.UInt64 => 8,
        TensorElementType.Bool or TensorElementType.Int8 or TensorElementType.UInt8 => 1,
        _ => throw new NotSupportedException($"element type {type} is not supported"),
    };

    private static void Copy<T>(ReadOnlySpan<T> source, float[] destination, Func<T, float> convert)
    {
        for (var i = 0; i < source.Length; i++)
        {
            destination[i] = convert(source[i]);
        }
    }

    private static OrtValue Allocate(TensorElementType type, long[] shape, int count, Func<int, double> read)
    {
        var value = OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, type, shape);
        try
        {
            var raw = value.GetTensorMutableRawData();
            switch (type)
            {
                case TensorElementType.Float:
                    Fill(MemoryMarshal.Cast<byte, float>(raw), count, i => (float)read(i));
                    break;
                case TensorElementType.Float16:
                    Fill(MemoryMarshal.Cast<byte, ushort>(raw), count, i => BitConverter.HalfToUInt16Bits((Half)read(i)));
                    break;
                case TensorElementType.BFloat16:
                    Fill(MemoryMarshal.Cast<byte, ushort>(raw), count, i => ToBFloat16((float)read(i)));
                    break;
                case TensorElementType.Double:
                    Fill(MemoryMarshal.Cast<byte, double>(raw), count, read);
                    break;
                case TensorElementType.Int64:
                    Fill(MemoryMarshal.Cast<byte, long>(raw), count, i => (long)Math.Round(read(i)));
                    break;
                case TensorElementType.Int32:
                    Fill(MemoryMarshal.Cast<byte, int>(raw), count, i => (int)Math.Round(read(i)));
                    break;
                case TensorElementType.Bool:
                    Fill(MemoryMarshal.Cast<byte, bool>(raw), count, i => read(i) != 0);
                    break;
                default:
                    throw new NotSupportedException($"cannot feed a {type} input");
            }
            return value;
        }
        catch
        {
            value.Dispose();
            throw;
        }
    }

    private static void Fill<T>(Span<T> destination, int count, Func<int, T> produce)
    {
        for (var i = 0; i < count; i++)
        {
            destination[i] = produce(i);
        }
    }

    private static ushort ToBFloat16(float value)
    {
        // Round to nearest even on the dropped 16 bits.
        var bits = BitConverter.SingleToUInt32Bits(value);
        var rounding = 0x7FFFu + ((bits >> 16) & 1);
        return (ushort)((bits + rounding) >> 16);
    }
}

using System.Numerics;

namespace Sam3Serve.Imaging.Rendering;

/// <summary>Whole-buffer operations on 0/1 masks, vectorised because they run once per object over every pixel.</summary>
internal static class MaskOps
{
    /// <summary>Sets <paramref name="target"/>[i] = <paramref name="value"/> wherever <paramref name="mask"/>[i] is nonzero.</summary>
    public static void Stamp(Span<byte> target, ReadOnlySpan<byte> mask, byte value)
    {
        var i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var fill = new Vector<byte>(value);
            for (; i <= mask.Length - Vector<byte>.Count; i += Vector<byte>.Count)
            {
                var m = new Vector<byte>(mask[i..]);
                if (m == Vector<byte>.Zero)
                {
                    continue;
                }
                var t = new Vector<byte>(target[i..]);
                Vector.ConditionalSelect(Vector.Equals(m, Vector<byte>.Zero), t, fill).CopyTo(target[i..]);
            }
        }
        for (; i < mask.Length; i++)
        {
            if (mask[i] != 0)
            {
                target[i] = value;
            }
        }
    }

    /// <summary>Turns a 0/1 mask into 0/255 in place (0 − 1 wraps to 255).</summary>
    public static void OnesTo255(Span<byte> mask)
    {
        var i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            for (; i <= mask.Length - Vector<byte>.Count; i += Vector<byte>.Count)
            {
                (Vector<byte>.Zero - new Vector<byte>(mask[i..])).CopyTo(mask[i..]);
            }
        }
        for (; i < mask.Length; i++)
        {
            mask[i] = (byte)-mask[i];
        }
    }

    /// <summary>Keeps only bit 0 of every byte (clears scratch flags stored in the higher bits).</summary>
    public static void KeepBit0(Span<byte> mask)
    {
        var i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var one = new Vector<byte>(1);
            for (; i <= mask.Length - Vector<byte>.Count; i += Vector<byte>.Count)
            {
                (new Vector<byte>(mask[i..]) & one).CopyTo(mask[i..]);
            }
        }
        for (; i < mask.Length; i++)
        {
            mask[i] &= 1;
        }
    }
}

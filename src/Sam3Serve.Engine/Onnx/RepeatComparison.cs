namespace Sam3Serve.Engine.Onnx;

/// <summary>
/// Compares two runs of the same graph on the same inputs bit for bit. A difference means the graph reads memory no
/// input filled (or an op is not deterministic), so its results cannot be trusted from one run to the next.
/// </summary>
internal static class RepeatComparison
{
    /// <summary>
    /// Null when every output of <paramref name="first"/> equals <paramref name="second"/>'s (bit for bit when
    /// <paramref name="tolerance"/> is 0, else within that absolute difference); otherwise where they differ.
    /// </summary>
    public static string? FirstDifference(ModelOutputs first, ModelOutputs second, float tolerance = 0f)
    {
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(second);
        foreach (var name in first.Names.Order(StringComparer.Ordinal))
        {
            if (!second.Names.Contains(name))
            {
                return $"output '{name}' is missing from the second run";
            }
            var a = first.ReadFloats(name);
            var b = second.ReadFloats(name);
            if (a.Length != b.Length || !first.Shape(name).SequenceEqual(second.Shape(name)))
            {
                return $"output '{name}' has shape [{string.Join(",", first.Shape(name))}], then [{string.Join(",", second.Shape(name))}]";
            }
            var differing = 0;
            var firstIndex = -1;
            for (var i = 0; i < a.Length; i++)
            {
                var same = BitConverter.SingleToInt32Bits(a[i]) == BitConverter.SingleToInt32Bits(b[i]) || MathF.Abs(a[i] - b[i]) <= tolerance;
                if (!same)
                {
                    differing++;
                    if (firstIndex < 0)
                    {
                        firstIndex = i;
                    }
                }
            }
            if (differing > 0)
            {
                return $"output '{name}' differs in {differing} of {a.Length} values (first at flat index {firstIndex}: {a[firstIndex]} then {b[firstIndex]})";
            }
        }
        return null;
    }
}

namespace Sam3Serve.Models.Planning;

/// <summary>
/// The order in which precision variants are tried for each file, per execution provider. A file takes the first
/// variant in the order that the source has; an explicitly requested variant goes first.
/// </summary>
public static class VariantOrder
{
    /// <summary>
    /// CPU: int8 (q8) first, then 4-bit weights (q4f16); of the float variants fp32 before fp16. ONNX Runtime's CPU
    /// provider has few float16 kernels: it wraps the others in Casts (57 in the optimised depth2 vision encoder) and
    /// fuses less, and the fp16 conversion of the depth2 encoders took 1.0–1.6× the fp32 time, never less
    /// (benchmarks/Sam3Serve.PrecisionProbe).
    /// </summary>
    public static IReadOnlyList<string> Cpu { get; } = ["q8", "q4f16", "fp32", "fp16"];

    /// <summary>CUDA: half precision first, then fp32, then 4-bit weights.</summary>
    public static IReadOnlyList<string> Cuda { get; } = ["fp16", "fp32", "q4f16"];

    /// <summary>TensorRT builds its own reduced-precision engines, so the fp32 file comes first (usls's advice).</summary>
    public static IReadOnlyList<string> TensorRt { get; } = ["fp32", "fp16"];

    /// <summary>The order for <paramref name="executionProvider"/>, with <paramref name="preferred"/> (if any) first.</summary>
    public static IReadOnlyList<string> For(string executionProvider, string? preferred)
    {
        IReadOnlyList<string> order = executionProvider switch
        {
            "cpu" => Cpu,
            "cuda" => Cuda,
            "tensorrt" => TensorRt,
            _ => throw new ArgumentException($"unknown execution provider '{executionProvider}' (cpu, cuda or tensorrt)"),
        };
        if (string.IsNullOrEmpty(preferred))
        {
            return order;
        }
        return [preferred, .. order.Where(v => v != preferred)];
    }
}

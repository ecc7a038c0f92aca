using Sam3Serve.Contracts.Inference;
using Sam3Serve.Contracts.Requests;
using Sam3Serve.Engine.Bundle;
using Sam3Serve.Engine.Caching;
using Sam3Serve.Engine.Features;
using Sam3Serve.Engine.Onnx;
using Sam3Serve.Engine.Postprocessing;

namespace Sam3Serve.Engine.Concept;

/// <summary>
/// Concept segmentation: vision features once per image, text features once per prompt, one decoder
/// run per prompt; keeps queries scoring above the threshold in query order, prompt by prompt.
/// </summary>
internal sealed class ConceptRunner
{
    /// <summary>The text the model was trained with for box-only prompts.</summary>
    public const string VisualPrompt = "visual";

    private readonly IImageFeatureSource _vision;
    private readonly TextFeatureEncoder _text;
    private readonly OnnxModel _decoder;
    private readonly OnnxModel? _geometry;
    private readonly ConceptLayout _layout;
    private readonly EngineCounters _counters;

    public ConceptRunner(ConceptLayout layout, IImageFeatureSource vision, TextFeatureEncoder text, OnnxModel decoder, OnnxModel? geometry, EngineCounters counters)
    {
        _layout = layout;
        _vision = vision;
        _text = text;
        _decoder = decoder;
        _geometry = geometry;
        _counters = counters;
        if (layout == ConceptLayout.V1 && geometry is null)
        {
            throw new ArgumentException("the v1 layout needs the geometry encoder", nameof(geometry));
        }
    }

    /// <summary>The image features this path decodes from.</summary>
    public IImageFeatureSource ImageFeatures => _vision;

    /// <summary>
    /// Runs the text encoder ("visual") and the decoder once on <paramref name="features"/> with
    /// <paramref name="boxes"/> (pixels of <paramref name="image"/>): the warm-up and the load-time self-check.
    /// </summary>
    public ModelOutputs RunOnFeatures(FeatureSet features, IReadOnlyList<BoxPrompt> boxes, RgbImage image, StageClock clock, CancellationToken cancellationToken)
    {
        var text = _text.Encode(VisualPrompt, clock, cancellationToken);
        try
        {
            return _layout == ConceptLayout.V2
                ? RunV2(features, text, boxes, image, clock, cancellationToken)
                : RunV1(features, text, boxes, image, clock, cancellationToken);
        }
        finally
        {
            text.Release();
        }
    }

    public List<DetectedObject> Run(SegmentationRequest request, RgbImage image, string imageKey, StageClock clock, CancellationToken cancellationToken)
    {
        var prompts = request.TextPrompts.Count > 0 ? request.TextPrompts : [VisualPrompt];
        var objects = new List<DetectedObject>();
        var features = _vision.Encode(image, imageKey, clock, cancellationToken);
        try
        {
            ResizePlan? plan = null;
            for (var p = 0; p < prompts.Count; p++)
            {
                var text = _text.Encode(prompts[p], clock, cancellationToken);
                try
                {
                    using var outputs = _layout == ConceptLayout.V2
                        ? RunV2(features, text, request.Boxes, image, clock, cancellationToken)
                        : RunV1(features, text, request.Boxes, image, clock, cancellationToken);
                    _counters.DecoderRan();
                    clock.Measure(StageClock.Postprocess, () => Select(outputs, request.Threshold, p, image, ref plan, objects));
                }
                finally
                {
                    text.Release();
                }
            }
        }
        finally
        {
            features.Release();
        }
        return objects;
    }

    private ModelOutputs RunV2(FeatureSet features, FeatureSet text, IReadOnlyList<BoxPrompt> boxes, RgbImage image, StageClock clock, CancellationToken cancellationToken)
    {
        var boxInput = _decoder.Input("input_boxes");
        var (encoded, labels, count) = BoxExemplars.Encode(boxes, image.Width, image.Height, StaticBoxCount(boxInput, boxes.Count));
        var inputs = new Dictionary<string, ModelInput>(StringComparer.Ordinal)
        {
            ["input_boxes"] = ModelInput.FromFloats(encoded, 1, count, 4),
            ["input_boxes_labels"] = ModelInput.FromLongs(labels, 1, count),
        };
        AddFeatureInputs(_decoder, inputs, features, text);
        return clock.Measure(StageClock.Decoder, () => _decoder.Run(inputs, cancellationToken: cancellationToken));
    }

    private ModelOutputs RunV1(FeatureSet features, FeatureSet text, IReadOnlyList<BoxPrompt> boxes, RgbImage image, StageClock clock, CancellationToken cancellationToken)
    {
        // v1: prompt = text tokens, then the geometry tokens (boxes + CLS) when boxes are given.
        var textFeatures = ElementConversion.ToFloats(text["text_features"]);
        var textMask = ElementConversion.ToFloats(text["text_mask"]);
        var textShape = text["text_features"].GetTensorTypeAndShape().Shape;
        var width = (int)textShape[2];
        var promptFeatures = textFeatures;
        var promptMask = textMask;
        if (boxes.Count > 0)
        {
            var geometry = _geometry!;
            var (encoded, labels, count) = BoxExemplars.Encode(boxes, image.Width, image.Height, StaticBoxCount(geometry.Input("input_boxes"), boxes.Count));
            var inputs = new Dictionary<string, ModelInput>(StringComparer.Ordinal)
            {
                ["input_boxes"] = ModelInput.FromFloats(encoded, 1, count, 4),
                ["input_boxes_labels"] = ModelInput.FromLongs(labels, 1, count),
            };
            foreach (var spec in geometry.Inputs.Where(i => i.Name.StartsWith("fpn_", StringComparison.Ordinal)))
            {
                // The 2025-12 export calls them fpn_feat / fpn_pos; they are the 72² level.
                var source = spec.Name is "fpn_feat" or "fpn_pos" ? spec.Name + "_2" : spec.Name;
                inputs[spec.Name] = ModelInput.FromValue(features[source]);
            }
            using var geo = clock.Measure(StageClock.Decoder, () => geometry.Run(inputs, cancellationToken: cancellationToken));
            var geoFeatures = geo.ReadFloats(geometry.Outputs[0].Name);
            var geoMask = geo.ReadFloats(geometry.Outputs[1].Name);
            promptFeatures = [.. textFeatures, .. geoFeatures];
            promptMask = [.. textMask, .. geoMask];
        }
        var length = promptMask.Length;
        var decoderInputs = new Dictionary<string, ModelInput>(StringComparer.Ordinal)
        {
            ["prompt_features"] = ModelInput.FromFloats(promptFeatures, 1, length, width),
            ["prompt_mask"] = ModelInput.FromBools(promptMask.Select(v => v != 0).ToArray(), 1, length),
        };
        AddFeatureInputs(_decoder, decoderInputs, features, null);
        return clock.Measure(StageClock.Decoder, () => _decoder.Run(decoderInputs, cancellationToken: cancellationToken));
    }

    private static int StaticBoxCount(TensorSpec boxInput, int requested)
    {
        if (!boxInput.IsStatic(1))
        {
            return 1;
        }
        var fixedCount = (int)boxInput.Dim(1);
        if (requested > fixedCount)
        {
            throw new InvalidOperationException($"this decoder takes at most {fixedCount} boxes, the request has {requested}");
        }
        return fixedCount;
    }

    private static void AddFeatureInputs(OnnxModel model, Dictionary<string, ModelInput> inputs, FeatureSet features, FeatureSet? text)
    {
        var available = features.Names.ToHashSet(StringComparer.Ordinal);
        var textNames = text?.Names.ToHashSet(StringComparer.Ordinal) ?? [];
        foreach (var spec in model.Inputs)
        {
            if (inputs.ContainsKey(spec.Name))
            {
                continue;
            }
            if (available.Contains(spec.Name))
            {
                inputs[spec.Name] = ModelInput.FromValue(features[spec.Name]);
            }
            else if (textNames.Contains(spec.Name))
            {
                inputs[spec.Name] = ModelInput.FromValue(text![spec.Name]);
            }
            else
            {
                throw new InvalidOperationException($"{Path.GetFileName(model.FilePath)} wants '{spec.Name}', which neither encoder produces");
            }
        }
    }

    private static void Select(ModelOutputs outputs, float threshold, int promptIndex, RgbImage image, ref ResizePlan? plan, List<DetectedObject> objects)
    {
        var logits = outputs.ReadFloats("pred_logits");
        var presence = outputs.ReadFloats("presence_logits")[0];
        var scores = new float[logits.Length];
        for (var q = 0; q < logits.Length; q++)
        {
            scores[q] = ScoreMath.DetectionScore(logits[q], presence);
        }
        var kept = ScoreMath.KeepAbove(scores, threshold);
        if (kept.Count == 0)
        {
            return;
        }
        var boxes = outputs.ReadFloats("pred_boxes");
        var masks = outputs["pred_masks"];
        var shape = masks.GetTensorTypeAndShape().Shape;
        int maskHeight = (int)shape[^2], maskWidth = (int)shape[^1];
        plan ??= new ResizePlan(maskWidth, maskHeight, image.Width, image.Height);
        foreach (var q in kept)
        {
            var lowRes = new float[maskWidth * maskHeight];
            ElementConversion.CopySlice(masks, (long)q * lowRes.Length, lowRes);
            objects.Add(new DetectedObject
            {
                Score = scores[q],
                Box = ScoreMath.ScaleBox(boxes.AsSpan(q * 4, 4), image.Width, image.Height),
                PromptIndex = promptIndex,
                Mask = new LogitMask(lowRes, plan),
            });
        }
    }
}

namespace Sam3Serve.Fixture;

/// <summary>
/// Sizes of the fixture graphs. They differ from the real model's (1008 input, 288² masks, 256 channels, 200 queries)
/// on purpose: the engine reads every size from the session metadata, and the fixture proves it.
/// </summary>
public static class FixtureGeometry
{
    /// <summary>Encoder input side (real: 1008).</summary>
    public const int ImageSize = 252;
    /// <summary>Side of fpn_feat_0, image_embeddings.0 and the mask logits (real: 288).</summary>
    public const int MaskSize = 126;
    /// <summary>Side of fpn_feat_1 / image_embeddings.1 (real: 144).</summary>
    public const int Level1Size = 63;
    /// <summary>Side of fpn_feat_2, fpn_pos_2 / image_embeddings.2 (real: 72).</summary>
    public const int Level2Size = 18;
    /// <summary>Feature channels: one per colour (real: 256 / 32, 64, 256).</summary>
    public const int Channels = 3;
    /// <summary>Text feature width: red, green, blue, visual (real: 256).</summary>
    public const int TextWidth = 4;
    /// <summary>Detector queries (real: 200).</summary>
    public const int Queries = 8;
    /// <summary>Text context length (as real).</summary>
    public const int ContextLength = 32;

    /// <summary>Concept decoder: logit of query 0 when the colour is found; score = σ(2.5)·σ(5) ≈ 0.918.</summary>
    public const float DetectedLogit = 2.5f;
    /// <summary>Concept decoder: presence logit when the colour is found.</summary>
    public const float DetectedPresence = 5f;
    /// <summary>Concept decoder: query-0 and presence logit when nothing is found.</summary>
    public const float AbsentLogit = -10f;
    /// <summary>Logit of every query but 0 (and of their mask pixels).</summary>
    public const float OtherQueryLogit = -20f;

    /// <summary>Tracker: predicted IoU of the colour-match candidate (index 1) when the colour under the prompt is pure.</summary>
    public const float PureColourIou = 0.95f;
    /// <summary>Tracker: predicted IoU of the colour-match candidate when the colour under the prompt is a blend.</summary>
    public const float BlendColourIou = 0.5f;
    /// <summary>Tracker: predicted IoU of candidate 0 (a looser colour match).</summary>
    public const float WideCandidateIou = 0.6f;
    /// <summary>Tracker: predicted IoU of candidate 2 (empty).</summary>
    public const float EmptyCandidateIou = 0.05f;
}

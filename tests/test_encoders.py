"""Any BERT/ELECTRA/RoBERTa-family encoder folder loads as the base of a joint model."""
import pytest
import torch
from tokenizers import ByteLevelBPETokenizer
from transformers import (AutoModel, BertConfig, ElectraConfig, PreTrainedTokenizerFast, RobertaConfig)

from arabic_ie.data.features import FeatureConfig
from arabic_ie.data.schema import LabelSchema
from arabic_ie.model.build import build_model
from arabic_ie.model.tagger import JointTagger
from arabic_ie.model.tiny import train_wordpiece

SMALL = dict(hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=64,
             max_position_embeddings=130)


def roberta_tokenizer(records):
    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator([r.text for r in records], vocab_size=600, special_tokens=["<s>", "<pad>", "</s>", "<unk>"])
    from tokenizers.processors import RobertaProcessing

    bpe.post_processor = RobertaProcessing(("</s>", bpe.token_to_id("</s>")), ("<s>", bpe.token_to_id("<s>")))
    return PreTrainedTokenizerFast(tokenizer_object=bpe, bos_token="<s>", eos_token="</s>", pad_token="<pad>",
                                   unk_token="<unk>", cls_token="<s>", sep_token="</s>", add_prefix_space=False)


@pytest.mark.parametrize("family", ["bert", "electra", "roberta"])
def test_encoder_family_as_base(family, tmp_path, sample_records):
    train = sample_records["train"][:60]
    if family == "roberta":
        tokenizer = roberta_tokenizer(train)
        config = RobertaConfig(vocab_size=len(tokenizer), pad_token_id=tokenizer.pad_token_id, **SMALL)
    else:
        tokenizer = train_wordpiece(train, 600)
        config = (BertConfig if family == "bert" else ElectraConfig)(vocab_size=len(tokenizer),
                                                                    embedding_size=32, **SMALL) \
            if family == "electra" else BertConfig(vocab_size=len(tokenizer), **SMALL)
    torch.manual_seed(0)
    encoder = AutoModel.from_config(config)
    folder = tmp_path / family
    encoder.save_pretrained(folder)
    tokenizer.save_pretrained(folder)

    model, loaded_tokenizer = build_model(str(folder), LabelSchema.from_records(train),
                                          FeatureConfig(max_length=512, stride=64), train)
    assert model.config.base_model == str(folder)
    usable = 128 if family == "roberta" else 130  # RoBERTa's positions start after its padding index
    assert model.config.feature_config.max_length == usable  # windows shrunk to what the encoder can take
    reference = encoder.state_dict()
    for name, tensor in model.encoder.state_dict().items():  # the pretrained weights were taken over
        assert torch.equal(tensor, reference[name]), name
    long = " ".join(r.text for r in sample_records["dev"][:12])  # several full-length windows
    texts = [r.text for r in sample_records["dev"][:3]] + [long]
    records = JointTagger(model, loaded_tokenizer, "cpu").predict(texts, split_sentences=False)
    assert [r.text for r in records] == texts


def test_pretrained_bert_folder_trains_with_char_features_and_crf(tmp_path, sample_records):
    """The little-data layers stay available on a pretrained encoder (AraBERT's path): the
    encoder weights are taken over, the new layers are added, and the trainer runs them."""
    from arabic_ie.data.jsonl import write_jsonl
    from arabic_ie.settings import read_config
    from arabic_ie.training.trainer import Trainer

    train = sample_records["train"][:24]
    tokenizer = train_wordpiece(train, 600)
    torch.manual_seed(0)
    encoder = AutoModel.from_config(BertConfig(vocab_size=len(tokenizer), **SMALL))
    folder = tmp_path / "bert"
    encoder.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    flags = dict(char_features=True, char_to_output=True, crf=True, word_dropout=0.1, lstm_layers=1, word_attributes=True,
                 neighbour_features=True)
    model, _ = build_model(str(folder), LabelSchema.from_records(train), FeatureConfig(max_length=64, stride=8),
                           train, **flags)
    reference = encoder.state_dict()
    assert all(torch.equal(t, reference[n]) for n, t in model.encoder.state_dict().items())
    assert model.char_cnn is not None and model.entity_crf is not None and model.trigger_crf is not None
    assert model.lstm is not None and model.attributes is not None and model.neighbours is not None

    data = tmp_path / "train.jsonl"
    write_jsonl(train, data)
    config = read_config(model=str(folder), train_files=[str(data)], dev_files=[str(data)], output_dir=str(tmp_path / "run"),
                         epochs=2, batch_size=8, max_length=64, stride=8, **flags)
    result = Trainer(config).train()
    assert result["steps"] > 0 and result["steps"] % 2 == 0 and "dev" in result["metrics"]  # 2 epochs ran
    tagger = JointTagger.from_pretrained(tmp_path / "run" / "model")
    assert tagger.model.config.crf and tagger.model.config.lstm_layers == 1
    assert tagger.model.config.base_model == str(folder)
    assert len(tagger.predict([r.text for r in sample_records["dev"][:2]])) == 2

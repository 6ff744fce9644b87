/* test_goal.c — metric direction inferred from names. */
#include "harness.h"
#include "runsite/goal.h"

int main(void)
{
	static const struct {
		const char *key;
		enum goal want;
	} cases[] = {
		{"loss", GOAL_MIN},
		{"val/loss", GOAL_MIN},
		{"eval_loss", GOAL_MIN},
		{"train_loss_epoch", GOAL_MIN},
		{"valLoss", GOAL_MIN},
		{"loss/train", GOAL_MIN},
		{"test/error_rate", GOAL_MIN},
		{"perplexity", GOAL_MIN},
		{"val-rmse", GOAL_MIN},
		{"eval/wer", GOAL_MIN},
		{"CER", GOAL_MIN},
		{"train_accuracy", GOAL_MAX},
		{"val/acc", GOAL_MAX},
		{"metrics/mAP50-95", GOAL_MAX},
		{"mAP", GOAL_MAX},
		{"eval_f1", GOAL_MAX},
		{"roc_auc", GOAL_MAX},
		{"rouge1", GOAL_MAX},
		{"bleu", GOAL_MAX},
		{"val/iou", GOAL_MAX},
		{"r2", GOAL_MAX},
		{"precision", GOAL_MAX},
		{"recall", GOAL_MAX},
		{"trainAccuracy", GOAL_MAX},
		/* Not goals: words that only contain a known word. */
		{"lr", GOAL_NONE},
		{"epoch", GOAL_NONE},
		{"glossary", GOAL_NONE},
		{"accumulate_steps", GOAL_NONE},
		{"mapping", GOAL_NONE},
		{"", GOAL_NONE},
		{"/", GOAL_NONE},
		{"//loss//", GOAL_MIN},
		{"a_very_long_metric_name_without_known_words_at_all_xxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
		 GOAL_NONE},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		INT_EQ(goal_infer(cases[i].key), cases[i].want, cases[i].key);
	INT_EQ(goal_infer(NULL), GOAL_NONE, "NULL key");

	OK(goal_better(GOAL_MIN, 1.0, 2.0), "min: 1 better than 2");
	OK(!goal_better(GOAL_MIN, 2.0, 1.0), "min: 2 not better than 1");
	OK(goal_better(GOAL_MAX, 2.0, 1.0), "max: 2 better than 1");
	OK(!goal_better(GOAL_NONE, 2.0, 1.0), "none: never better");
	return TEST_END();
}

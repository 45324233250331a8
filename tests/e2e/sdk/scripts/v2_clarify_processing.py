"""SageMaker Python SDK v2: SageMakerClarifyProcessor's four analyses, exactly as written for AWS.

Parameters (JSON): role, model (a SageMaker model answering one probability per CSV row), dataset (S3 URI of a
headerless CSV whose columns are ``headers``), headers, label, facet, facet_values, output (S3 URI; each
analysis writes under ``<output>/<analysis>``), shap_baseline (one row of feature values), job (job-name
prefix: the jobs are ``<job>-pre``, ``-post``, ``-bias``, ``-shap``). Result (JSON): per
analysis the processing job as described, the analysis_config.json the SDK uploaded and the analysis.json it
read back (plus explanations_shap/out.csv for the SHAP run), and the endpoints, endpoint configs and models
before and after (Clarify's shadow endpoints must be gone).
"""

from __future__ import annotations

from sagemaker import Session
from sagemaker.clarify import (BiasConfig, DataConfig, ModelConfig, ModelPredictedLabelConfig,
                               SageMakerClarifyProcessor, SHAPConfig)
from sagemaker.s3 import S3Downloader
from sdk_script import clarify_job_summary, emit, model_endpoints, parameters

params = parameters()
session = Session()
processor = SageMakerClarifyProcessor(role=params["role"], instance_count=1, instance_type="ml.m5.xlarge",
                                      sagemaker_session=session)


def data_config(analysis: str) -> DataConfig:
    return DataConfig(s3_data_input_path=params["dataset"], s3_output_path=f"{params['output']}/{analysis}",
                      label=params["label"], headers=params["headers"], dataset_type="text/csv")


bias_config = BiasConfig(label_values_or_threshold=[1], facet_name=params["facet"],
                         facet_values_or_threshold=params["facet_values"])
model_config = ModelConfig(model_name=params["model"], instance_type="ml.m5.xlarge", instance_count=1,
                           content_type="text/csv", accept_type="text/csv")
predicted_label_config = ModelPredictedLabelConfig(probability_threshold=0.5)
shap_config = SHAPConfig(baseline=[params["shap_baseline"]], num_samples=100, agg_method="mean_abs",
                         save_local_shap_values=True, seed=0)

before = model_endpoints(session)
processor.run_pre_training_bias(data_config("pre"), bias_config, methods="all", wait=True, logs=True,
                                job_name=f"{params['job']}-pre")
processor.run_post_training_bias(data_config("post"), bias_config, model_config, predicted_label_config,
                                 methods="all", wait=True, logs=False, job_name=f"{params['job']}-post")
processor.run_bias(data_config("bias"), bias_config, model_config, predicted_label_config, wait=True, logs=False,
                   job_name=f"{params['job']}-bias")
processor.run_explainability(data_config("shap"), model_config, shap_config, wait=True, logs=False,
                             job_name=f"{params['job']}-shap")

result = {analysis: clarify_job_summary(session, f"{params['job']}-{analysis}", S3Downloader.read_file)
          for analysis in ("pre", "post", "bias", "shap")}
result["resources_before"], result["resources_after"] = before, model_endpoints(session)
result["shap"]["out_csv"] = S3Downloader.read_file(f"{params['output']}/shap/explanations_shap/out.csv",
                                                   sagemaker_session=session)
emit(result)

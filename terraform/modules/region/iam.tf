# Instance roles, one per tier, each allowed only what its processes do: read its own secrets,
# write its own log group, and (database nodes) read and write the backups bucket. Operators
# reach instances through SSM Session Manager; no instance has SSH open or a public address.

data "aws_iam_policy_document" "ec2_assume" {
  statement {
    sid     = "Ec2AssumesTheRole"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

locals {
  roles = {
    edge     = { secrets = ["edge-tls"], log_group = "edge" }
    core     = { secrets = ["session-token-keys", "partner-keys", "database-client-certs"], log_group = "core" }
    database = { secrets = ["database-node-certs"], log_group = "database" }
  }

  # What a role may do besides reading its secrets and writing its logs.
  role_statements = {
    database = [
      { sid = "ListBackups", actions = ["s3:ListBucket", "s3:GetBucketLocation"], resources = [aws_s3_bucket.backups.arn] },
      { sid = "ReadWriteBackups", actions = ["s3:GetObject", "s3:PutObject"], resources = ["${aws_s3_bucket.backups.arn}/*"] },
      { sid = "EncryptBackups", actions = ["kms:Decrypt", "kms:GenerateDataKey"], resources = [aws_kms_key.this["backups"].arn] },
    ]
  }
}

data "aws_iam_policy_document" "role" {
  for_each = local.roles

  statement {
    sid       = "ReadOwnSecrets"
    actions   = ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]
    resources = [for s in each.value.secrets : aws_secretsmanager_secret.this[s].arn]
  }

  statement {
    sid       = "DecryptOwnSecrets"
    actions   = ["kms:Decrypt"]
    resources = [aws_kms_key.this["secrets"].arn]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["secretsmanager.${local.aws_region}.amazonaws.com"]
    }
  }

  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.this[each.value.log_group].arn}:*"]
  }

  dynamic "statement" {
    for_each = lookup(local.role_statements, each.key, [])

    content {
      sid       = statement.value.sid
      actions   = statement.value.actions
      resources = statement.value.resources
    }
  }
}

resource "aws_iam_role" "this" {
  for_each = local.roles

  name               = "${local.prefix}-${each.key}"
  description        = "Instances of the ${var.name} region's ${each.key} tier"
  assume_role_policy = data.aws_iam_policy_document.ec2_assume.json

  tags = local.tier_tags[each.key]
}

resource "aws_iam_role_policy" "this" {
  for_each = local.roles

  name   = "${each.key}-least-privilege"
  role   = aws_iam_role.this[each.key].id
  policy = data.aws_iam_policy_document.role[each.key].json
}

# Session Manager instead of SSH.
resource "aws_iam_role_policy_attachment" "ssm" {
  for_each = local.roles

  role       = aws_iam_role.this[each.key].name
  policy_arn = "arn:${local.partition}:iam::aws:policy/AmazonSSMManagedInstanceCore"
}

resource "aws_iam_instance_profile" "this" {
  for_each = local.roles

  name = "${local.prefix}-${each.key}"
  role = aws_iam_role.this[each.key].name

  tags = local.tier_tags[each.key]
}

# VPC flow logs write to their log group and nothing else.
data "aws_iam_policy_document" "flow_logs_assume" {
  statement {
    sid     = "FlowLogsAssumeTheRole"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["vpc-flow-logs.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

data "aws_iam_policy_document" "flow_logs" {
  statement {
    sid       = "WriteFlowLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"]
    resources = ["${aws_cloudwatch_log_group.this["flow-logs"].arn}:*"]
  }
}

resource "aws_iam_role" "flow_logs" {
  name               = "${local.prefix}-flow-logs"
  description        = "VPC flow logs of the ${var.name} region"
  assume_role_policy = data.aws_iam_policy_document.flow_logs_assume.json

  tags = merge(local.tags, { Name = "${local.prefix}-flow-logs" })
}

resource "aws_iam_role_policy" "flow_logs" {
  name   = "write-flow-logs"
  role   = aws_iam_role.flow_logs.id
  policy = data.aws_iam_policy_document.flow_logs.json
}

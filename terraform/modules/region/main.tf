# One region of the platform: its network (network.tf), security groups (security_groups.tf),
# edge and core tiers behind their load balancers (tiers.tf), CockroachDB nodes (database.tf),
# instance roles (iam.tf), secrets and the backups bucket (storage.tf). This file holds what they
# share: names, tags, zones, the region file's facts, KMS keys and log groups.

# The region's three zones, pinned by name: a zone AWS adds later never moves a subnet.
data "aws_availability_zones" "available" {
  state = "available"

  filter {
    name   = "zone-name"
    values = coalesce(var.availability_zones, [for suffix in ["a", "b", "c"] : "${data.aws_region.current.name}${suffix}"])
  }

  lifecycle {
    postcondition {
      condition     = length(self.names) == 3
      error_message = "The platform needs three available zones; of those asked for, this AWS region offers ${length(self.names)} (${join(", ", self.names)})."
    }
  }
}

data "aws_caller_identity" "current" {}

data "aws_region" "current" {}

data "aws_partition" "current" {}

locals {
  prefix     = "${var.name_prefix}-${var.name}"
  account_id = data.aws_caller_identity.current.account_id
  aws_region = data.aws_region.current.name
  partition  = data.aws_partition.current.partition

  tags = merge(var.tags, {
    Platform       = var.name_prefix
    PlatformRegion = var.name
    ManagedBy      = "terraform"
  })

  # The tags of what belongs to one tier (its load balancer, instances, volumes and role).
  tier_tags = { for tier in ["edge", "core", "database"] : tier => merge(local.tags, { Name = "${local.prefix}-${tier}", Tier = tier }) }

  # Three zones, always: one database node (or more) per zone, one subnet per tier per zone.
  azs = sort(data.aws_availability_zones.available.names)

  # Ports the platform's processes listen on (the image's systemd units take them from the
  # environment file written at boot). The edge serves TLS itself (rustls); the load balancer
  # passes TCP through.
  https_port    = 443
  edge_port     = 8443
  core_port     = 8080
  database_port = 26257

  # The region's file in regions/: its id must be this region's name, and its failover list
  # orders the edges' failover cores.
  region_file    = var.regions_dir == null ? null : try(file("${var.regions_dir}/${var.name}/region.toml"), null)
  region_file_id = try(regex("(?m)^id\\s*=\\s*\"([^\"]+)\"", local.region_file)[0], null)
  failover_order = try(jsondecode(regex("(?m)^failover\\s*=\\s*(\\[[^\\]]*\\])", local.region_file)[0]), [for p in var.peers : p.name])
  peers_in_failover_order = concat(
    [for n in local.failover_order : one([for p in var.peers : p if p.name == n]) if contains([for p in var.peers : p.name], n)],
    [for p in var.peers : p if !contains(local.failover_order, p.name)],
  )
}

# KMS keys, one per purpose, rotated yearly by AWS.
locals {
  root_principal   = "arn:${local.partition}:iam::${local.account_id}:root"
  autoscaling_role = "arn:${local.partition}:iam::${local.account_id}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"

  key_admin_statement = {
    Sid       = "AccountAdministersTheKey"
    Effect    = "Allow"
    Principal = { AWS = local.root_principal }
    Action    = "kms:*"
    Resource  = "*"
  }

  kms_keys = {
    ebs = {
      description = "EBS volumes of the ${var.name} region's instances"
      statements = [
        local.key_admin_statement,
        {
          # Auto Scaling launches the edges and cores with encrypted volumes on its own role.
          Sid       = "AutoScalingUsesTheKey"
          Effect    = "Allow"
          Principal = { AWS = local.autoscaling_role }
          Action    = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"]
          Resource  = "*"
        },
        {
          Sid       = "AutoScalingGrantsToEc2"
          Effect    = "Allow"
          Principal = { AWS = local.autoscaling_role }
          Action    = "kms:CreateGrant"
          Resource  = "*"
          Condition = { Bool = { "kms:GrantIsForAWSResource" = "true" } }
        },
      ]
    }
    logs = {
      description = "CloudWatch log groups of the ${var.name} region"
      statements = [
        local.key_admin_statement,
        {
          Sid       = "CloudWatchLogsUsesTheKey"
          Effect    = "Allow"
          Principal = { Service = "logs.${local.aws_region}.amazonaws.com" }
          Action    = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
          Resource  = "*"
          Condition = {
            ArnLike = { "kms:EncryptionContext:aws:logs:arn" = "arn:${local.partition}:logs:${local.aws_region}:${local.account_id}:log-group:/${var.name_prefix}/${var.name}/*" }
          }
        },
      ]
    }
    secrets = {
      description = "Secrets Manager secrets of the ${var.name} region"
      statements  = [local.key_admin_statement]
    }
    backups = {
      description = "CockroachDB backups of the ${var.name} region"
      statements  = [local.key_admin_statement]
    }
  }
}

resource "aws_kms_key" "this" {
  for_each = local.kms_keys

  description             = each.value.description
  enable_key_rotation     = true
  rotation_period_in_days = 365
  deletion_window_in_days = 30
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = each.value.statements
  })

  tags = merge(local.tags, { Name = "${local.prefix}-${each.key}" })
}

resource "aws_kms_alias" "this" {
  for_each = local.kms_keys

  name          = "alias/${local.prefix}-${each.key}"
  target_key_id = aws_kms_key.this[each.key].key_id
}

# Log groups: the processes' logs (shipped by the image's agent) and the VPC flow logs,
# encrypted and kept at least a year (PCI DSS 10.5.1).
locals {
  log_groups = {
    edge      = "Edge access and process logs"
    core      = "Core process logs"
    database  = "CockroachDB node logs"
    flow-logs = "VPC flow logs"
  }
}

resource "aws_cloudwatch_log_group" "this" {
  for_each = local.log_groups

  name              = "/${var.name_prefix}/${var.name}/${each.key}"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.this["logs"].arn

  tags = merge(local.tags, { Name = "${local.prefix}-${each.key}", Description = each.value })
}
